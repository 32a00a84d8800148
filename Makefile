# kura: the two commands a new user needs are `make demo` and `make test`.
# Both run the idempotent set-up first (seconds when nothing changed).
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: setup demo test bench devnet-up devnet-down clean

setup:
	@bash tools/setup.sh

demo: setup
	.venv/bin/kura demo

test: setup
	.venv/bin/pytest $(PYTEST_ARGS)

# The benchmarks' peer systems (Tahoe-LAFS, the `peers` extra of pyproject.toml) get a virtualenv of their own:
# kura never imports them, and their pins stay out of kura's environment.
PEERS := .venv-peers
$(PEERS)/bin/tahoe: pyproject.toml
	@.venv/bin/python -m venv $(PEERS)
	$(PEERS)/bin/pip install --quiet --disable-pip-version-check $$(.venv/bin/python -c \
		"import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['peers']))")
	@touch $@

bench: setup $(PEERS)/bin/tahoe
	@for bench in benchmarks/bench_*.py; do echo "== $$bench"; \
		KURA_TAHOE=$(CURDIR)/$(PEERS)/bin/tahoe .venv/bin/python $$bench $(BENCH_ARGS) || exit 1; done

clean:
	-.venv/bin/kura devnet down
	rm -rf build .state .pytest_cache .hypothesis $(PEERS)
