# Mkopo — `make help` lists the targets. Everything runs inside .venv, built from the lock.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements/lock.txt pyproject.toml | cksum | cut -d' ' -f1)

.DEFAULT_GOAL := help
.PHONY: help venv run test test-quick lint format migrate demo bench bench-ledger bench-accrual bench-callbacks bench-ussd bench-recon bench-rescore eval-scoring clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): requirements/lock.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP) ## create .venv with the pinned dependencies

run: venv ## migrate an SQLite database under var/, load demo data, start API + worker
	scripts/run-local.sh

test: venv ## lint, import contracts, types, then the whole test suite (PostgreSQL too when reachable)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest

# The quick suite is the tests that carry none of these markers (tests/conftest.py gives most of
# them). tests/e2e, contract and property are slow as whole folders, so they are not even
# collected: that saves about 9 s of imports.
QUICK_MARKERS := not slow and not postgres and not redis and not rabbitmq
QUICK_PATHS   := tests/unit tests/integration

test-quick: venv ## the fast tests only (no servers, nothing slow), under a minute; no lint
	$(BIN)/pytest -q -m "$(QUICK_MARKERS)" $(QUICK_PATHS)

lint: venv ## ruff, import contracts and mypy only
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: venv ## format and auto-fix the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: venv ## apply migrations to MKOPO_DATABASE_URL (default: var/mkopo.sqlite3)
	$(BIN)/mkopo migrate

demo: venv ## migrate and load demo data without starting anything
	$(BIN)/mkopo migrate
	$(BIN)/mkopo keys generate --if-missing
	$(BIN)/mkopo seed-demo

bench: bench-ledger bench-accrual bench-callbacks bench-ussd bench-recon bench-rescore eval-scoring ## every benchmark

bench-ledger: venv ## ledger throughput vs pgbench on local PostgreSQL -> bench/results/ledger.json
	$(BIN)/python -m bench.ledger

bench-accrual: venv ## daily accrual over 100k and 1M loans on local PostgreSQL -> bench/results/accrual.json
	$(BIN)/python -m bench.accrual

bench-callbacks: venv ## M-Pesa and Airtel callbacks accepted over HTTP and processed, on local PostgreSQL -> bench/results/callbacks.json (smaller: CALLBACKS_ARGS="--seconds 8 --loans 3000")
	$(BIN)/python -m bench.callbacks $(CALLBACKS_ARGS)

bench-ussd: venv ## USSD hops/s and latency, 200 sessions borrowing, on local PostgreSQL -> bench/results/ussd.json
	$(BIN)/python -m bench.ussd

bench-recon: venv ## statement reconciliation of 100k and 1M lines on local PostgreSQL -> bench/results/recon.json
	$(BIN)/python -m bench.recon

bench-rescore: venv ## the rescoring sweep over 2,000 due borrowers on local PostgreSQL -> bench/results/rescore.json
	$(BIN)/python -m bench.rescore

eval-scoring: venv ## scorecard vs plain logistic regression (German Credit and simulated histories, 10-fold CV), band stability -> bench/results/scoring.json
	$(BIN)/python -m bench.scoring

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
