"""Find a source's files, on any file system Spark can read (local, abfss://, s3a://)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pyspark.sql import SparkSession

from schemas.sources import SourceFormat

# File name endings per format; Spark reads the compressed variants natively.
FILE_EXTENSIONS: dict[SourceFormat, tuple[str, ...]] = {
    "csv": (".csv", ".csv.gz", ".txt", ".tsv"),
    "json": (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz"),
    "parquet": (".parquet",),
}


@dataclass(frozen=True)
class SourceFile:
    """One file of a source as the file system lists it."""

    path: str
    size: int
    modified_at: datetime


def matches_format(path: str, fmt: SourceFormat) -> bool:
    """Whether a file name has one of the format's endings (and is not hidden)."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name.lower().endswith(FILE_EXTENSIONS[fmt]) and not name.startswith((".", "_"))


def list_files(spark: SparkSession, location: str, fmt: SourceFormat) -> list[SourceFile]:
    """Every file of the format under location (empty ones too), oldest first."""
    jvm = spark.sparkContext._jvm  # noqa: SLF001 - Hadoop FS is only reachable through the gateway
    path = jvm.org.apache.hadoop.fs.Path(location)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())  # noqa: SLF001
    if not fs.exists(path):
        raise FileNotFoundError(f"source location does not exist: {location}")
    files = []
    listing = fs.listFiles(path, True)
    while listing.hasNext():
        status = listing.next()
        name = status.getPath().toString()
        if matches_format(name, fmt):
            modified = datetime.fromtimestamp(status.getModificationTime() / 1000, tz=UTC)
            files.append(SourceFile(name, status.getLen(), modified))
    return sorted(files, key=lambda f: (f.modified_at, f.path))
