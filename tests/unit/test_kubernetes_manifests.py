"""The Kubernetes deployment holds together without a cluster: API schemas, the cap, one image, RBAC."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from infra import DAGSTER_DIR, INFRA_DIR
from schemas.spark_profile import SparkProfile, available_profiles, load_profile

ROOT = INFRA_DIR.parent
KUBERNETES_DIR = INFRA_DIR / "kubernetes"
HELM_VALUES = DAGSTER_DIR / "helm" / "values.yaml"
# The Kubernetes minor versions in upstream support when this was written; the package ships their schemas.
KUBERNETES_VERSIONS = ["1.35", "1.36", "1.37"]
# What Spark's driver does to its executors (Spark's running-on-kubernetes guide, RBAC).
DRIVER_NEEDS = {"pods", "services", "configmaps"}
DRIVER_VERBS = {"create", "get", "list", "watch", "delete"}
# What the chart's instance imports, by the Helm values that choose it, and those packages' own
# requirements besides dagster (their METADATA at 0.29.27), which the image must bring locked.
INSTANCE_PACKAGES = {"K8sRunLauncher": "dagster-k8s", "postgresql": "dagster-postgres"}
INSTANCE_REQUIRES = {"dagster-k8s": {"kubernetes", "google-auth"}, "dagster-postgres": {"psycopg2-binary"}}


def _manifests() -> list[tuple[Path, dict]]:
    """Every document of every YAML file under infra/kubernetes, with its file."""
    found = []
    for path in sorted(KUBERNETES_DIR.glob("*.yaml")):
        found += [(path, doc) for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    return found


def _one(kind: str, name: str, namespace: str | None = None) -> dict:
    """The manifest of that kind and name (and namespace), or a failure naming what is missing."""
    for _, doc in _manifests():
        meta = doc["metadata"]
        if doc["kind"] == kind and meta["name"] == name and meta.get("namespace") == namespace:
            return doc
    raise AssertionError(f"infra/kubernetes has no {kind} {name!r} in namespace {namespace!r}")


@pytest.fixture
def profile(monkeypatch: pytest.MonkeyPatch) -> SparkProfile:
    """infra/spark/kubernetes.yaml with its shipped defaults (no INSIGHTS_SPARK_* overrides)."""
    for name in ("INSIGHTS_SPARK_MASTER", "INSIGHTS_SPARK_IMAGE", "INSIGHTS_SPARK_NAMESPACE"):
        monkeypatch.delenv(name, raising=False)
    return load_profile("kubernetes")


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(HELM_VALUES.read_text(encoding="utf-8"))


def _mebibytes(quantity: str) -> int:
    """A Spark size (8g, 512m) or a Kubernetes quantity (9011Mi, 8Gi) in MiB."""
    number, unit = re.fullmatch(r"(\d+)([a-zA-Z]*)", quantity).groups()
    factor = {"m": 1, "g": 1024, "t": 1024**2, "Mi": 1, "Gi": 1024, "Ti": 1024**2}[unit]
    return int(number) * factor


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_is_valid_for_the_kubernetes_api(version):
    manifests = _manifests()
    assert {doc["kind"] for _, doc in manifests} >= {"ServiceAccount", "Role", "RoleBinding", "ResourceQuota"}
    for path, doc in manifests:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(part) for part in exc.path)
            pytest.fail(f"{path.name}: {doc['kind']} {doc['metadata']['name']}: {where}: {exc.message}")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_run_pod_settings_in_the_helm_values_are_valid_pod_fields(values, version):
    run = values["runLauncher"]["config"]["k8sRunLauncher"]["runK8sConfig"]
    container = {"name": "dagster", "image": "customer-insights"} | run["containerConfig"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "run"}}
    pod["spec"] = run["podSpecConfig"] | {"containers": [container]}
    kubernetes_validate.validate(pod, version, strict=True)


def test_the_profile_scales_from_zero_to_the_cap(profile):
    conf = profile.conf
    assert conf["spark.dynamicAllocation.enabled"] == "true"
    assert conf["spark.dynamicAllocation.shuffleTracking.enabled"] == "true"
    assert conf["spark.dynamicAllocation.minExecutors"] == "0"
    assert profile.max_executors is not None and profile.max_executors >= 1


def test_the_namespace_quota_holds_the_profile_cap(profile):
    namespace = profile.conf["spark.kubernetes.namespace"]
    hard = _one("ResourceQuota", "insights-executor-cap", namespace)["spec"]["hard"]
    cap = profile.max_executors
    assert int(hard["pods"]) == cap, "the quota's pods must equal spark.dynamicAllocation.maxExecutors"
    assert int(hard["requests.cpu"]) == cap * int(profile.conf["spark.executor.cores"])
    memory = _mebibytes(profile.conf["spark.executor.memory"])
    overhead = max(int(memory * 0.1), 384)  # Spark's default executor memory overhead
    assert _mebibytes(hard["requests.memory"]) == cap * (memory + overhead)


def test_one_image_everywhere(profile, values):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    image = deployment["image"]
    assert profile.conf["spark.kubernetes.container.image"] == f"{image['repository']}:{image['tag']}"
    assert image["tag"] == version, "the image tag is the project version the wheel is built from"
    dockerfile = (KUBERNETES_DIR / "Dockerfile").read_text(encoding="utf-8")
    assert f"-t {image['repository']}:{version} ." in dockerfile, "the build command names the same image"
    assert "COPY requirements.lock" in dockerfile and '-c /tmp/requirements.lock "$(ls /tmp/dist/*.whl)' in dockerfile
    assert re.search(r"^FROM python:3\.11-", dockerfile, re.MULTILINE), "Python 3.11, as requires-python allows"


def test_the_image_starts_spark_executors():
    entrypoint = (KUBERNETES_DIR / "entrypoint.sh").read_text(encoding="utf-8")
    assert '"${1:-}" != "executor"' in entrypoint
    assert "org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend" in entrypoint
    assert "/opt/entrypoint.sh" in (KUBERNETES_DIR / "Dockerfile").read_text(encoding="utf-8")


def test_the_run_pods_service_account_may_start_executors(profile, values):
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    account = launcher["runK8sConfig"]["podSpecConfig"]["serviceAccountName"]
    _one("ServiceAccount", account, launcher["jobNamespace"])
    namespace = profile.conf["spark.kubernetes.namespace"]
    _one("Namespace", namespace)
    bindings = [
        doc for _, doc in _manifests()
        if doc["kind"] == "RoleBinding" and doc["metadata"]["namespace"] == namespace
        and {"kind": "ServiceAccount", "name": account, "namespace": launcher["jobNamespace"]} in doc["subjects"]
    ]
    assert bindings, f"no RoleBinding in {namespace} names service account {account}"
    role = _one("Role", bindings[0]["roleRef"]["name"], namespace)
    granted = {(res, verb) for rule in role["rules"] if "" in rule["apiGroups"]
               for res in rule["resources"] for verb in rule["verbs"]}
    missing = {(res, verb) for res in DRIVER_NEEDS for verb in DRIVER_VERBS} - granted
    assert not missing, f"Role {role['metadata']['name']} lacks {sorted(missing)}"


def test_the_code_location_is_our_definitions(values):
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert values["dagster-user-deployments"]["enabled"] is True
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "orchestration.definitions"]
    assert importlib.util.find_spec("orchestration.definitions") is not None
    env = {item["name"]: item["value"] for item in deployment["env"]}
    assert env["INSIGHTS_SPARK_PROFILE"] == "kubernetes" and "kubernetes" in available_profiles()


def test_runs_are_queued_with_a_limit_and_stored_in_postgres(values):
    coordinator = values["dagsterDaemon"]["runCoordinator"]
    assert coordinator["enabled"] is True and coordinator["type"] == "QueuedRunCoordinator"
    limit = coordinator["config"]["queuedRunCoordinator"]["maxConcurrentRuns"]
    assert isinstance(limit, int) and limit >= 1
    postgres = values["postgresql"]
    assert postgres["enabled"] is True or postgres.get("postgresqlHost"), "run storage needs a PostgreSQL"
    assert values["runLauncher"]["type"] == "K8sRunLauncher"


def _locked() -> dict[str, str]:
    """requirements.lock as name -> pinned version."""
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return dict(re.findall(r"^([a-z0-9._-]+)==(\S+)$", lock, re.MULTILINE))


def test_the_image_installs_what_the_charts_instance_needs(values):
    dockerfile = (KUBERNETES_DIR / "Dockerfile").read_text(encoding="utf-8")
    (arg,) = re.findall(r'^ARG DAGSTER_K8S="([^"]+)"$', dockerfile, re.MULTILINE)
    pins = dict(item.split("==") for item in arg.split())
    assert "pip install --no-cache-dir --no-deps $DAGSTER_K8S" in dockerfile
    needed = {INSTANCE_PACKAGES[values["runLauncher"]["type"]]}
    if values["postgresql"]["enabled"] or values["postgresql"].get("postgresqlHost"):
        needed.add(INSTANCE_PACKAGES["postgresql"])
    assert needed <= pins.keys(), f"the image lacks {sorted(needed - pins.keys())}"
    major, minor, patch = map(int, _locked()["dagster"].split("."))
    for name, version in pins.items():
        line, their_patch = version.rsplit(".", 1)
        assert line == f"0.{minor + 16}", f"{name} {version} is not of dagster {major}.{minor}'s release line"
        assert patch - 1 <= int(their_patch) <= patch, f"{name} {version} is more than one patch from dagster"


def test_the_instance_packages_requirements_come_locked_in_the_image():
    dockerfile = (KUBERNETES_DIR / "Dockerfile").read_text(encoding="utf-8")
    assert '"$(ls /tmp/dist/*.whl)[kubernetes]"' in dockerfile, "the image installs the wheel's kubernetes extra"
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    declared = {re.match(r"[A-Za-z0-9._-]+", spec).group().lower() for spec in extra["kubernetes"]}
    locked = _locked()
    required = set().union(*INSTANCE_REQUIRES.values())
    missing = {name for name in required if name not in locked}
    assert not missing, f"requirements.lock does not pin {sorted(missing)}"
    assert required <= declared, f"the kubernetes extra lacks {sorted(required - declared)}"
