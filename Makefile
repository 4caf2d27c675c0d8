# Two entry points: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test lint venv clean

$(STAMP): pyproject.toml examples/demo-service/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,mysql]' -e 'examples/demo-service[test]'
	touch $(STAMP)

venv: $(STAMP)

# Every gate on the demo service, on an embedded SQLite database.
demo: $(STAMP)
	$(BIN)/qualgate all examples/demo-service

# The whole test suite through our own run-tests gate (every core, coverage >= 90%).
test: $(STAMP)
	QUALGATE_SLOW=1 ./tools/ci/test-suite.sh $(PYTEST_ARGS)

# Our own gates on this repo (CI runs it too).
lint: $(STAMP)
	$(BIN)/qualgate lint-format .

clean:
	rm -rf $(VENV) .qualgate .coverage .coverage.* htmlcov
