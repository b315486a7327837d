# Legato's one entry point: `make help` lists the targets, docs/development.md explains them.
#
# Everything installs into .venv (pip's cache is its default one, outside the clone) and
# the Kubernetes test binaries into $(TESTBIN_CACHE), so a fresh clone on a fresh machine
# gets the same setup from the same commands, and a second run is fast.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.legato-installed
BENCH_STAMP := $(VENV)/.legato-bench-installed

# The Kubernetes release the realapi tests run against, and the etcd it pins in its go.mod.
K8S_VERSION ?= v1.36.3
ETCD_VERSION ?= v3.6.8
TESTBIN_CACHE ?= $(HOME)/.cache/legato-testbin
TESTBIN_INFO := build/testbin.json

DEV_FLAGS ?=
BENCH_N ?= 200
TEST_FLAGS ?=

.PHONY: help
help: ## List the targets.
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# --- environment -------------------------------------------------------------------------

.PHONY: venv
venv: $(VENV_STAMP) ## Create .venv with the SDK, the operator and the dev tools (when inputs change).

$(VENV_STAMP): sdk/pyproject.toml operator/pyproject.toml scripts/requirements-dev.txt scripts/requirements-ui.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-e sdk -e operator -r scripts/requirements-dev.txt -r scripts/requirements-ui.txt
	@touch $@

.PHONY: postgres
postgres: $(VENV_STAMP) ## Make sure Postgres server binaries exist (machine's, apt, or the pgserver wheel).
	@PYTHON=$(BIN)/python scripts/postgres.sh

.PHONY: chromium
chromium: ## Make sure Chromium exists for the browser tests (Debian's package; LEGATO_CHROMIUM for another).
	@scripts/chromium.sh

.PHONY: testbin
testbin: $(VENV_STAMP) ## Build kube-apiserver, kubectl, etcd (Go modules) and unpack helm into ~/.cache/legato-testbin.
	@PYTHON=$(BIN)/python K8S_VERSION=$(K8S_VERSION) ETCD_VERSION=$(ETCD_VERSION) \
		LEGATO_TESTBIN_CACHE=$(TESTBIN_CACHE) TESTBIN_INFO=$(TESTBIN_INFO) scripts/testbin.sh

# --- run ---------------------------------------------------------------------------------

.PHONY: dev
dev: $(VENV_STAMP) postgres ## Embedded Postgres + server + the orders example worker; DEV_FLAGS=... for more.
	$(BIN)/legato-operator dev $(DEV_FLAGS) --then "$(BIN)/python examples/orders/run.py"

# --- checks ------------------------------------------------------------------------------

.PHONY: test
test: $(VENV_STAMP) postgres testbin chromium ## All tests (Postgres, end-to-end, real kube-apiserver, browser).
	@scripts/pytest.sh $(TEST_FLAGS) tests

.PHONY: test-k8s
test-k8s: $(VENV_STAMP) postgres testbin ## Only the tests against a real kube-apiserver and etcd.
	@scripts/pytest.sh -m realapi $(TEST_FLAGS) tests

.PHONY: test-ui
test-ui: $(VENV_STAMP) postgres chromium ## Only the browser tests of the web UI (headless Chromium).
	@scripts/pytest.sh $(TEST_FLAGS) tests/ui

.PHONY: test-fast
test-fast: $(VENV_STAMP) ## Only the tests that need no services (milliseconds each).
	@scripts/pytest.sh -m "not postgres and not e2e and not realapi" $(TEST_FLAGS) tests

.PHONY: lint
lint: $(VENV_STAMP) ## ruff (check + format), mypy --strict, import-linter; all run, any failure fails.
	@status=0; \
	for check in "ruff check ." "ruff format --check ." "mypy sdk/legato operator/legato_operator tests" "lint-imports"; do \
		echo "+ $$check"; $(BIN)/$$check || status=1; \
	done; \
	exit $$status

.PHONY: fmt
fmt: $(VENV_STAMP) ## Apply ruff's fixes and formatting.
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# --- benchmark, generated files, end-to-end ----------------------------------------------

$(BENCH_STAMP): $(VENV_STAMP) bench/requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	@touch $@

.PHONY: bench
bench: $(BENCH_STAMP) postgres ## Legato vs DBOS Transact on one Postgres; BENCH_N=200 workflows.
	BENCH_N=$(BENCH_N) $(BIN)/python bench/run.py

.PHONY: bench-workloads
bench-workloads: $(BENCH_STAMP) postgres ## Timers, 30-day sleepers, signals, two servers, storage; BENCH_WORKLOADS=timers,...
	$(BIN)/python bench/workloads.py

.PHONY: bench-visibility
bench-visibility: $(BENCH_STAMP) postgres ## List and count latency at 10^4, 10^5 and 10^6 runs.
	$(BIN)/python bench/visibility.py

.PHONY: crds
crds: $(VENV_STAMP) ## Regenerate crds/ (and the chart's copy) from the pydantic models.
	$(BIN)/python -m legato_operator.k8s.crdgen crds/ charts/legato/files/crds/

.PHONY: chart-readme
chart-readme: $(VENV_STAMP) ## Regenerate charts/legato/README.md from Chart.yaml and the values' `# --` comments.
	$(BIN)/python scripts/chart_readme.py

.PHONY: e2e-kind
e2e-kind: ## Full end-to-end run on kind (needs Docker; not on the CI machines).
	scripts/e2e-kind.sh

# --- housekeeping ------------------------------------------------------------------------

.PHONY: clean
clean: ## Remove build output and caches in the clone (keeps .venv and the testbin cache).
	@# As root, the dev cluster may live outside the clone, linked from .legato-dev/postgres.
	@if [[ -L .legato-dev/postgres ]]; then \
		target=$$(readlink -f .legato-dev/postgres); \
		case $$target in /var/lib/legato-dev/?*|/var/tmp/legato-dev/?*) echo "rm -rf $$target"; rm -rf "$$target";; esac; \
	fi
	rm -rf build dist .bench .legato-dev .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf

.PHONY: distclean
distclean: clean ## Also remove .venv (the testbin cache in ~/.cache stays).
	rm -rf $(VENV)
