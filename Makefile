# customer-insights: two commands on a fresh machine, `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= small
SEED ?= 42
WORKSPACE ?= examples/retail
export INSIGHTS_LAKE ?= $(CURDIR)/lakehouse
export DAGSTER_HOME ?= $(CURDIR)/.dagster
export GX_ANALYTICS_ENABLED := False
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true

.PHONY: install run test ui data clean bench

# The virtual environment, rebuilt only when the dependencies change.
$(BIN)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c requirements.lock -e ".[dev]"
	touch $@

install: $(BIN)/.installed

# Example data at the chosen scale (regenerated only when missing).
$(WORKSPACE)/data/_truth/manifest.json: | install
	$(BIN)/insights generate --scale $(SCALE) --seed $(SEED) --out $(WORKSPACE)/data

data: $(WORKSPACE)/data/_truth/manifest.json

run: install data
	$(BIN)/insights run --workspace $(WORKSPACE)

test: install
	$(BIN)/python -m pytest

ui: install
	mkdir -p $(DAGSTER_HOME) && test -f $(DAGSTER_HOME)/dagster.yaml || cp infra/dagster/dagster.yaml $(DAGSTER_HOME)/
	INSIGHTS_WORKSPACE=$(CURDIR)/$(WORKSPACE) $(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

clean:
	rm -rf lakehouse .dagster $(WORKSPACE)/data
