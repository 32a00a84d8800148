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

bench: setup
	@for bench in benchmarks/bench_*.py; do echo "== $$bench"; .venv/bin/python $$bench $(BENCH_ARGS) || exit 1; done

clean:
	-.venv/bin/kura devnet down
	rm -rf build .state .pytest_cache .hypothesis
