"""The app's pages, each a module with ``TITLE``, ``ICON``, ``SETTINGS`` and ``render(current)``."""
