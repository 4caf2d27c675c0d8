# Two entry points: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test lint venv clean

$(STAMP): pyproject.toml examples/demo-service/pyproject.toml
	@echo "qualgate: creating $(VENV) and installing qualgate with its dev tools (first run: 1-2 minutes)..."
	@start=$$(date +%s); \
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	$(BIN)/python -m pip install --quiet --upgrade pip && \
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,mysql]' -e 'examples/demo-service[test]' && \
	echo "qualgate: $(VENV) ready in $$(( $$(date +%s) - start )) s"
	@touch $(STAMP)

venv: $(STAMP)

DEMO_DEFECTS ?= $(or $(TMPDIR),/tmp)/qualgate-demo-defects

# Every gate on the demo service, on an embedded SQLite database; then the same on a copy
# with one planted defect per gate, to show what a failing verdict and its fix hints look like.
demo: $(STAMP)
	@echo "== qualgate all examples/demo-service (every gate should pass)"
	$(BIN)/qualgate all examples/demo-service
	@echo
	@echo "== the same service with one planted defect per gate ($(DEMO_DEFECTS)): every gate should fail"
	@$(BIN)/python examples/plant_defects.py examples/demo-service $(DEMO_DEFECTS)
	@$(BIN)/qualgate all $(DEMO_DEFECTS); code=$$?; rm -rf $(DEMO_DEFECTS); \
	if [ $$code -eq 1 ]; then echo "demo: the planted defects failed their gates (exit 1), as they should"; \
	else echo "demo: expected exit 1 on the planted defects, got $$code"; exit 1; fi

# The whole test suite through our own run-tests gate (every core, coverage >= 90%).
test: $(STAMP)
	QUALGATE_SLOW=1 ./tools/ci/test-suite.sh $(PYTEST_ARGS)

# Our own gates on this repo (CI runs it too).
lint: $(STAMP)
	$(BIN)/qualgate lint-format .

clean:
	rm -rf $(VENV) .qualgate .coverage .coverage.* htmlcov
