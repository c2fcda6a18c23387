# Agora for Odoo. Odoo 19 is found as `python3 -m odoo`, or as $(ODOO_BIN) when set.
PYTHON ?= python3
RUNNER := $(PYTHON) tools/odoo_runner.py
MODULES := agora_orders agora_portal agora_company agora_1c

.PHONY: help run test odoo-tests lint pot bench check-odoo

help:
	@echo "make run    serve Odoo with both modules and demo data on http://localhost:8069"
	@echo "make test   run both modules' tests in two fresh databases (plain, then with website_sale),"
	@echo "            then the linters; AGORA_TEST_CONFIGS=plain (or website_sale) runs one only"
	@echo "make lint   ruff and pylint-odoo only"
	@echo "make pot    regenerate i18n/<module>.pot from a fresh database"
	@echo "make bench  benchmarks (see bench/README.md)"

run:
	$(RUNNER) run

test: odoo-tests lint

odoo-tests:
	$(RUNNER) test

check-odoo:
	$(RUNNER) check

lint:
	@command -v ruff >/dev/null 2>&1 || { echo "ruff is missing: pip install -r requirements-dev.txt"; exit 1; }
	ruff check $(MODULES) tools bench
	ruff format --check $(MODULES) tools bench
	$(PYTHON) -m pylint --rcfile=.pylintrc $(MODULES)

pot:
	$(RUNNER) pot

bench:
	$(PYTHON) bench/run.py
