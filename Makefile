# The two set-up commands (README): `make app` starts the app, `make test` passes the tests.
# Both create ./.venv with Python 3.11+ and install the package into it first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install kernel app test test-fast lint docs bench screenshots clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@echo "Compiling the kernel that plays the worlds ahead of time (about 11 s) ..."
	$(BIN)/python -m sim.engine.fused || true
	@echo "numba compiles the solver and the engine once, cached for every later run (about 30 s) ..."
	$(BIN)/sim run coalition_2026 --runs 100 --seed 1 --set rounds=2 > /dev/null
	touch $@

install: $(BIN)/.installed

# The world-playing kernel compiled ahead of time (about 11 s; the install above builds it): a short
# `sim run` then loads no numba. Run again after changing the kernel; without it everything still runs.
kernel: $(BIN)/.installed
	$(BIN)/python -m sim.engine.fused

app: $(BIN)/.installed
	$(BIN)/streamlit run app.py --server.headless true

# The tests also need Playwright's Python client (the `browser` extra) for tests/webapp/test_browser.py,
# which drives the app in Debian's Chromium (`apt-get install chromium`; never `playwright install`).
# Without Chromium that test skips; .ci/run installs it and sets SIM_REQUIRE_BROWSER=1.
$(BIN)/.browser: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test,browser]"
	touch $@

test: $(BIN)/.browser
	$(BIN)/python -m pytest

# Everything but the browser tests and the tests marked slow (pytest -m slow runs those alone).
test-fast: $(BIN)/.installed
	$(BIN)/python -m pytest -m "not browser and not slow"

# The documentation site (mkdocs.yml) needs the `docs` extra: MkDocs, Material, mkdocstrings.
$(BIN)/.docs: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test,docs]"
	touch $@

# The linters, the type check, and the docs site built with --strict: a broken link, a missing
# anchor or an unreadable docstring fails. The site goes to ./site (git-ignored).
lint: $(BIN)/.docs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mkdocs build --strict --site-dir site

# Serve the docs site at http://127.0.0.1:8000, rebuilt on every change.
docs: $(BIN)/.docs
	$(BIN)/mkdocs serve

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_engine.py

# Refresh the README's screenshots in docs/images (Chromium and fonts-noto-color-emoji installed).
screenshots: $(BIN)/.browser
	SIM_REQUIRE_BROWSER=1 SIM_SCREENSHOTS=docs/images $(BIN)/python -m pytest -q tests/webapp/test_browser.py -k screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis site
