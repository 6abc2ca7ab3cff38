"""The one place that builds the SparkSession, from a named profile in infra/spark."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

from pyspark.sql import SparkSession

from jobs.abfs import AbfsLake, hadoop_azure_package, redaction_conf
from jobs.jar_resolution import record_resolution, with_resolved_jars
from schemas.environment import azure_credentials, is_abfss
from schemas.redaction import redact_settings
from schemas.spark_profile import SparkProfile, load_profile

log = logging.getLogger(__name__)

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"


class SparkSetupError(RuntimeError):
    """Spark cannot start as the profile asks; the message says what to do."""


def delta_package() -> str:
    """Maven coordinates of the Delta jar that matches the installed pyspark and delta-spark."""
    spark_minor = ".".join(version("pyspark").split(".")[:2])
    return f"io.delta:delta-spark_{spark_minor}_2.13:{version('delta-spark')}"


def lake_access(lake_root: str | None) -> AbfsLake | None:
    """What an abfss:// lake root needs in the session (credentials from the environment), None for other roots."""
    return AbfsLake.of(lake_root, azure_credentials()) if lake_root and is_abfss(lake_root) else None


def get_spark(profile: str | SparkProfile, app_name: str = "customer-insights", lake_root: str | None = None,
              ) -> SparkSession:
    """The process's SparkSession: the active one if any, else a new one from the profile (or its name).

    An abfss:// lake_root adds hadoop-azure and the account's credentials, read from the environment now.
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    chosen = profile if isinstance(profile, SparkProfile) else load_profile(profile)
    if chosen.master is None:
        raise SparkSetupError(
            f"profile '{chosen.name}' expects a session owned by the platform (e.g. Databricks), "
            "but none is active in this process"
        )
    builder = SparkSession.builder.appName(app_name).master(chosen.master)
    wanted = session_conf(chosen, lake_access(lake_root))
    conf = with_resolved_jars(wanted, ivy_jar_dir().parent)
    for key, value in conf.items():
        builder = builder.config(key, value)
    jvm_log = jvm_log_file()
    log.info("starting Spark (profile %s, master %s; JVM output in %s)", chosen.name, chosen.master, jvm_log)
    try:
        with _process_output_to(jvm_log):
            spark = builder.getOrCreate()
    except Exception as exc:  # the JVM exits before py4j can say why: show what it printed
        tail = "\n".join(jvm_log.read_text(errors="replace").splitlines()[-15:])
        raise SparkSetupError(
            f"Spark did not start with profile '{chosen.name}': {exc}. "
            f"Check Java 17 is on PATH and that {conf.get('spark.jars.packages', delta_package())} can be fetched from "
            f"{MAVEN_CENTRAL} (or is in the Ivy cache {ivy_jar_dir()}). "
            f"The JVM said (full log {jvm_log}):\n{tail}"
        ) from exc
    spark.sparkContext.setLogLevel("ERROR")
    if conf is wanted:  # Ivy resolved the packages this time
        record_resolution(conf, spark.sparkContext.getConf().get("spark.jars", ""), ivy_jar_dir().parent)
    _keep_driver_code(conf.get("spark.submit.pyFiles", ""))
    return spark


def _keep_driver_code(shipped: str) -> None:
    """PySpark puts the code shipped to executors on the driver's path too: the driver keeps its installed code
    (whose package data, e.g. expectations/suites/*.yaml, are files, not zip members)."""
    names = {Path(path).name for path in shipped.split(",") if path}
    sys.path[:] = [entry for entry in sys.path if Path(entry).name not in names]


def session_conf(profile: SparkProfile, lake: AbfsLake | None = None) -> dict[str, str]:
    """Spark settings for a profile: Delta wiring, redaction, an abfss lake's account, then the profile's own."""
    conf = redaction_conf() | {
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        # Power BI and delta-rs read protocol 1 tables: keep table features off by default.
        "spark.databricks.delta.properties.defaults.enableDeletionVectors": "false",
        "spark.databricks.delta.schema.autoMerge.enabled": "false",
    }
    if profile.master and profile.master.startswith("local"):
        # Python workers must see this interpreter's packages (pandas, phonenumbers).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    elif "spark.pyspark.python" in profile.conf:
        # The executors' Python (the profile's unpacked archive): PySpark's driver reads only the variable.
        os.environ["PYSPARK_PYTHON"] = profile.conf["spark.pyspark.python"]
    packages = []
    if profile.delta_jar == "maven":
        ensure_delta_jar_reachable()
        packages.append(delta_package())
    if lake is not None:
        conf |= lake.conf()
        if profile.delta_jar == "maven":  # a platform that ships Delta (Databricks) ships hadoop-azure too
            ensure_delta_jar_reachable(package=hadoop_azure_package())
            packages.append(hadoop_azure_package())
    if packages:
        conf["spark.jars.packages"] = ",".join(packages)
    conf |= profile.conf
    log.debug("Spark settings of profile %s: %s", profile.name, redact_settings(conf))
    return conf


def jvm_log_file() -> Path:
    """Where this process's Spark driver JVM writes its output (one file per Python process)."""
    return Path(tempfile.gettempdir()) / f"customer-insights-spark-{os.getpid()}.log"


def ivy_jar_dir() -> Path:
    """Where Spark's Ivy resolver caches fetched jars."""
    return Path.home() / ".ivy2.5.2" / "jars"


def ensure_delta_jar_reachable(timeout: float = 15.0, package: str | None = None) -> None:
    """Fail early and clearly when the Delta jar (or another package Spark fetches) is neither cached nor downloadable."""
    package = package or delta_package()
    group, artifact, ver = package.split(":")
    if (ivy_jar_dir() / f"{group}_{artifact}-{ver}.jar").exists():
        return
    url = f"{MAVEN_CENTRAL}/{group.replace('.', '/')}/{artifact}/{ver}/{artifact}-{ver}.pom"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SparkSetupError(
            f"Spark needs the jar {package} and it is not cached in "
            f"{ivy_jar_dir()}; fetching it from Maven Central failed ({url}: {exc}). "
            "Allow access to repo1.maven.org once (it is cached afterwards), or use a profile "
            "whose platform ships Delta and hadoop-azure."
        ) from exc


@contextmanager
def _process_output_to(path: Path) -> Iterator[None]:
    """Send what child processes started now print (the JVM, Ivy) to a file, not the terminal.

    The JVM inherits the file descriptors it is launched with and keeps them, so its dependency
    resolution report and log4j warnings land in the file while Python output is restored.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "ab") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])

