# The README's commands. `make run` serves the demo on http://127.0.0.1:5000; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
OIDC_MODULES := tests/oidc/node_modules/.installed

.PHONY: run test bench lint clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: setup.cfg $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# The dispatcher runs alongside the web server so emails queued from the pages go out (as .eml files
# under instance/outbox/ until HEARKEN_SMTP_HOST is set); it stops with the server.
run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) dispatch --loop & dispatcher=$$!; trap 'kill $$dispatcher 2>/dev/null' EXIT INT TERM; $(FLASK) run

test: $(VENV)/.installed-test $(OIDC_MODULES)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The OpenID Provider the SSO tests start (node's oidc-provider, tests/oidc/). Without npm the SSO tests are
# skipped on a laptop; CI installs node and sets HEARKEN_REQUIRE_OIDC, so there they fail instead.
$(OIDC_MODULES): tests/oidc/package.json tests/oidc/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is not installed: the single sign-on tests (tests/oidc) will be skipped"; fi

# Every benchmark in bench/, each against a baseline measured in the same run; rewrites the figures in
# docs/benchmarks.md and bench/figures.json and calls out regressions of more than 25 %. Takes about 25
# minutes; BENCH_ARGS="--quick" checks the benches on small data in a few, "--only NAME …" runs some.
bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# ruff (rules in pyproject.toml) on everything, and mypy on the product: survey/ and analysis/.
lint: $(VENV)/.installed-lint
	$(BIN)/ruff check survey analysis tests bench
	$(BIN)/mypy

$(VENV)/.installed-lint: setup.cfg $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[lint]'
	touch $@

clean:
	rm -rf $(VENV) *.egg-info

# The customer-facing catalogs (survey/translations/): extract the marked strings, merge them into each
# language's .po, and compile the .mo files that are committed beside them (tests/survey/test_translations.py
# fails when a .po and its .mo disagree or a message is untranslated or fuzzy).
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -k N_ --no-location -w 120 -o survey/translations/messages.pot .
	$(BIN)/pybabel update -i survey/translations/messages.pot -d survey/translations -w 120 --ignore-obsolete
	$(BIN)/pybabel compile -d survey/translations --statistics
