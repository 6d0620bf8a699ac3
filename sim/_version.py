"""The package's version: one place, read by the build (``pyproject.toml``) and every result's record."""

__version__ = "0.1.0"
