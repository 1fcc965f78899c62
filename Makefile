# saltext-sipxha: `make demo` runs the local fleet demo, `make test` runs the whole test suite.
# Both set up everything they need on a fresh Debian machine (a venv, the package, Debian tools).
# `make lint`: ruff, and `mypy --strict` on the pure core (pyproject.toml [tool.mypy]).
# `make test` = lint, `make docs`, the whole suite on the default pair (.venv: Salt 3008, Python 3.11; it also
# builds the sdist and wheel, runs twine check --strict and installs the wheel alone), then `make matrix`.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
DEB_PACKAGES := bind9 bind9-utils kea-dhcp4-server isc-dhcp-server sip-tester kamailio
LINT_PATHS := $(wildcard src tests demo benchmarks docs/conf.py)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint format bench setup debs clean docs matrix constraints

# Version matrix. Each entry is one Salt release on one Python, pinned by constraints/<entry>.txt (pip freeze
# of what its tests install; users keep setup.cfg's ranges). The default pair is .venv and runs the whole
# suite; the other entries run unit + functional tests in .venv-<entry>, made when missing and refreshed when
# setup.cfg, pyproject.toml or the entry's constraints change. `make constraints` re-pins every entry.
DEFAULT_ENTRY := salt3008-py311
DEFAULT_EXTRAS := tests,lint,docs,release,bench
MATRIX := salt3007-py310 salt3008-py313
MATRIX_TESTS := tests/unit tests/functional
find_python = $(firstword $(wildcard $(HOME)/.pyenv/versions/$(1).*/bin/python$(1)) $(shell command -v python$(1) 2>/dev/null))
SALT_salt3007 := 3007.16
SALT_salt3008 := 3008.4
PYTHON_salt3007-py310 := $(call find_python,3.10)
PYTHON_salt3008-py313 := $(call find_python,3.13)
PYTHON_$(DEFAULT_ENTRY) := $(PYTHON)
EXTRAS_$(DEFAULT_ENTRY) := $(DEFAULT_EXTRAS)
$(foreach entry,$(MATRIX),$(eval EXTRAS_$(entry) := tests))

setup: $(BIN)/.installed debs

$(BIN)/.installed: setup.cfg pyproject.toml constraints/$(DEFAULT_ENTRY).txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints/$(DEFAULT_ENTRY).txt -e '.[$(DEFAULT_EXTRAS)]'
	touch $@

# A matrix venv; without its interpreter (not a pyenv machine) the entry is skipped, and `make matrix` says so.
.venv-%/.installed: setup.cfg pyproject.toml constraints/%.txt
	@if [ -z "$(PYTHON_$*)" ]; then exit 0; fi; \
	set -e; echo "matrix $*: installing into .venv-$* ($(PYTHON_$*))"; \
	[ -x .venv-$*/bin/python ] || $(PYTHON_$*) -m venv .venv-$*; \
	.venv-$*/bin/pip install -q --upgrade pip; \
	.venv-$*/bin/pip install -q -c constraints/$*.txt -e '.[tests]'; \
	touch $@

# The venvs are made one after the other (editable installs share src/*.egg-info), then the entries' tests
# run side by side (one per core), each printed as one block when it ends. (matrix-<entry> is not .PHONY:
# make skips pattern rules for phony targets.)
matrix: $(MATRIX:%=.venv-%/.installed)
	@$(MAKE) --no-print-directory -j2 --output-sync=target $(MATRIX:%=matrix-%)

matrix-%:
	@if [ ! -f .venv-$*/.installed ]; then \
		echo "matrix $*: SKIPPED: no python for it (looked in ~/.pyenv/versions and PATH)"; exit 0; fi; \
	echo "matrix $*: $$(.venv-$*/bin/python -c 'import sys, salt.version; print("Salt", salt.version.__version__, "on Python", sys.version.split()[0])'): $(MATRIX_TESTS)"; \
	base=$$(mktemp -d "$${TMPDIR:-/tmp}/sipxha-$*.XXXXXX"); \
	.venv-$*/bin/python -m pytest -q -p no:warnings --basetemp="$$base" $(MATRIX_TESTS); rc=$$?; rm -rf "$$base"; exit $$rc

# Re-pin every entry: a fresh venv with the entry's Salt, then pip freeze (run after changing dependencies).
define pin
	@if [ -z "$(PYTHON_$(1))" ]; then echo "constraints/$(1).txt: no python for it, kept as it is"; else \
	set -e; rm -rf .tmp/pin-$(1); $(PYTHON_$(1)) -m venv .tmp/pin-$(1); \
	.tmp/pin-$(1)/bin/pip install -q --upgrade pip; \
	.tmp/pin-$(1)/bin/pip install -q -e '.[$(EXTRAS_$(1))]' 'salt==$(SALT_$(firstword $(subst -, ,$(1))))'; \
	{ echo "# make constraints: Salt $(SALT_$(firstword $(subst -, ,$(1)))), $$($(PYTHON_$(1)) -V), extras [$(EXTRAS_$(1))]"; \
	  .tmp/pin-$(1)/bin/pip freeze --all --exclude-editable | grep -v '^pip=='; } > constraints/$(1).txt; \
	rm -rf .tmp/pin-$(1); echo "constraints/$(1).txt: $$(grep -c == constraints/$(1).txt) pins"; fi

endef
constraints:
	@mkdir -p constraints .tmp
	$(foreach entry,$(DEFAULT_ENTRY) $(MATRIX),$(call pin,$(entry)))

debs:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages: $$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@# Debian enables these on install; this project only uses their binaries.
	@for svc in named kea-dhcp4-server isc-dhcp-server kamailio; do $(SUDO) systemctl disable --now $$svc >/dev/null 2>&1 || true; done

lint: $(BIN)/.installed
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy

format: $(BIN)/.installed
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

test: setup lint docs
	$(BIN)/python -m pytest tests
	@$(MAKE) --no-print-directory matrix

# The docs site: Sphinx + myst-parser, one reference page per loader module; warnings are errors
# (-E: every page is read again, so a docstring's warning is never hidden by a cached page).
docs: $(BIN)/.installed
	$(BIN)/python -m sphinx -q -E -W --keep-going -b html docs docs/_build/html

demo: setup
	$(BIN)/python -m demo

bench: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(MATRIX:%=.venv-%) build dist src/*.egg-info .tmp docs/_build docs/ref
