# saltext-sipxha: `make demo` runs the local fleet demo, `make test` runs the whole test suite.
# Both set up everything they need on a fresh Debian machine (a venv, the package, Debian tools).
# `make lint`: ruff, and `mypy --strict` on the pure core (pyproject.toml [tool.mypy]).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
DEB_PACKAGES := bind9 bind9-utils kea-dhcp4-server isc-dhcp-server sip-tester
LINT_PATHS := $(wildcard src tests demo benchmarks docs/conf.py)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint format bench setup debs clean docs

setup: $(BIN)/.installed debs

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[tests,lint,docs,release,bench]'
	touch $@

debs:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages: $$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@# Debian enables these on install; this project only uses their binaries.
	@for svc in named kea-dhcp4-server isc-dhcp-server; do $(SUDO) systemctl disable --now $$svc >/dev/null 2>&1 || true; done

lint: $(BIN)/.installed
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy

format: $(BIN)/.installed
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

test: setup lint docs
	$(BIN)/python -m pytest tests

# The docs site: Sphinx + myst-parser, one reference page per loader module; warnings are errors.
docs: $(BIN)/.installed
	$(BIN)/python -m sphinx -q -W --keep-going -b html docs docs/_build/html

demo: setup
	$(BIN)/python -m demo

bench: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build dist src/*.egg-info .tmp docs/_build docs/ref
