# Convive: the two commands a newcomer needs are `make run` and `make test`.
# Each installs what it needs (uv, PostgreSQL, the Kafka jars, the Python packages) and is safe
# to run twice.

SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON_PREFERENCE := only-system

# uv may have been installed by deps a moment ago, as a module of the machine's Python.
UV = $(shell command -v uv 2>/dev/null || echo python3 -m uv)
PYTEST_ARGS ?=
# Every member is checked strictly by mypy.
TYPED = $(wildcard contracts/src cli/src libs/*/src services/*/src)

# Services with words to translate: each has a babel.cfg beside its pyproject.toml and its
# catalogues in src/convive/<package>/locales/<language>/LC_MESSAGES/messages.po.
CATALOGUED = $(patsubst %/babel.cfg,%,$(wildcard services/*/babel.cfg))

.PHONY: help deps sync run test check lint format typecheck imports deptry schemas bench clean \
	translations catalogues

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

deps:  ## install what is missing: uv, PostgreSQL, the Kafka jars, the Python packages
	@bash deploy/local/install-deps.sh
	@$(UV) sync --locked --quiet
	@$(MAKE) --no-print-directory catalogues

translations:  ## extract the words to translate into every service's catalogues (.po)
	@for service in $(CATALOGUED); do \
		package=$$(echo $$service/src/convive/*/); \
		$(UV) run pybabel --quiet extract --no-location --sort-output -F $$service/babel.cfg \
			-o $${package}locales/messages.pot $$package || exit 1; \
		$(UV) run pybabel --quiet update --no-fuzzy-matching -i $${package}locales/messages.pot \
			-d $${package}locales || exit 1; \
	done

catalogues:  ## compile the catalogues (.po to .mo; the .mo files are built, never committed)
	@for service in $(CATALOGUED); do \
		$(UV) run pybabel --quiet compile -d $$(echo $$service/src/convive/*/)locales || exit 1; \
	done

run: deps  ## start Kafka, PostgreSQL and every service on this machine (Ctrl-C stops all)
	$(UV) run convive run

test: deps check  ## the checks, then every test against real Kafka, PostgreSQL and Chromium
	@bash deploy/local/install-deps.sh --browser
	CI=$${CI:-true} $(UV) run pytest $(PYTEST_ARGS)

check: lint typecheck imports deptry schemas  ## the guard rails, without the tests

lint:  ## ruff lint and format check
	$(UV) run ruff check .
	$(UV) run ruff format --check .

format:  ## apply ruff's fixes and formatting
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

typecheck:  ## mypy (strict) on every workspace member
	$(UV) run mypy $(TYPED)

imports:  ## no service imports another service (import-linter)
	$(UV) run lint-imports

deptry:  ## every workspace member declares what it imports
	@for member in contracts libs/runtime libs/localinfra libs/doubles cli services/*; do \
		(cd $$member && $(UV) run --project $(CURDIR) deptry src --known-first-party convive --per-rule-ignores DEP002=convive-contracts\|convive-runtime\|convive-localinfra) || exit 1; \
	done

schemas:  ## committed event schemas equal the code, and no released schema was broken
	$(UV) run convive-contracts check

bench: deps  ## benchmarks against real Kafka and PostgreSQL, with their baselines
	$(UV) sync --locked --quiet --group bench
	$(UV) run --group bench python -m bench

clean:  ## remove caches and local data (Kafka jars, PostgreSQL data of `make run`)
	rm -rf .cache .pytest_cache .mypy_cache .ruff_cache
