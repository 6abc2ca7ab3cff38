"""The jar files Spark's Ivy resolved for a list of packages, kept so the next JVM starts without resolving.

Spark resolves `spark.jars.packages` with Ivy on every start, even when every jar is cached: about
5 s of a 15 s start here (tests, `insights run`, each fault-test driver). The files it resolved are
what it then puts in `spark.jars`; a record of them, by the package list, lets the next start pass
those files as `spark.jars` instead. The record is used only while every file in it exists, and a
different package list (an upgrade of delta-spark, an abfss:// lake's hadoop-azure) is another record.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from urllib.parse import urlparse

log = logging.getLogger(__name__)

PACKAGES, JARS = "spark.jars.packages", "spark.jars"


def record_file(ivy_dir: Path, packages: str) -> Path:
    """Where the resolution of this package list is kept, beside Ivy's own cache."""
    key = hashlib.sha256(packages.encode()).hexdigest()[:16]
    return ivy_dir / "customer-insights-resolved" / f"{key}.txt"


def resolved_files(ivy_dir: Path, packages: str) -> list[str] | None:
    """The jar files recorded for the package list, None when unrecorded or when one of them is gone."""
    record = record_file(ivy_dir, packages)
    if not record.exists():
        return None
    files = [line for line in record.read_text().splitlines() if line]
    if not files or not all(Path(urlparse(f).path).is_file() for f in files):
        return None
    return files


def with_resolved_jars(conf: dict[str, str], ivy_dir: Path) -> dict[str, str]:
    """The settings with `spark.jars.packages` replaced by its recorded files, where a record holds."""
    packages = conf.get(PACKAGES)
    files = resolved_files(ivy_dir, packages) if packages else None
    if files is None:
        return conf
    own = [j for j in conf.get(JARS, "").split(",") if j]
    rest = {k: v for k, v in conf.items() if k != PACKAGES}
    return rest | {JARS: ",".join(own + [f for f in files if f not in own])}


def record_resolution(conf: dict[str, str], started_jars: str, ivy_dir: Path) -> None:
    """After a start that resolved packages: keep the files Spark resolved (its spark.jars, less our own)."""
    packages = conf.get(PACKAGES)
    if not packages:
        return
    own = {j for j in conf.get(JARS, "").split(",") if j}
    files = [j for j in started_jars.split(",") if j and j not in own]
    if not files:
        return
    record = record_file(ivy_dir, packages)
    try:
        record.parent.mkdir(parents=True, exist_ok=True)
        partial = record.with_suffix(".part")
        partial.write_text("\n".join(files) + "\n")
        partial.replace(record)  # atomic: another process never reads half a record
    except OSError as exc:  # a read-only home: resolve again next time
        log.debug("could not record the resolved jars in %s: %s", record, exc)
