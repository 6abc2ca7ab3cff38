"""Read source files as they came: text stays text, broken rows are kept with their raw text."""

from __future__ import annotations

from collections import defaultdict

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.conform import bronze_column_name
from schemas.sources import Source
from schemas.tables import FILE_COL

CORRUPT_COL = "_corrupt_record"


def read_source_files(spark: SparkSession, source: Source, files: list[str]) -> DataFrame | None:
    """All rows of the files, with their file path and, for unparseable rows, the raw text.

    Columns are the source's own (renamed only where Delta forbids a character), plus
    FILE_COL and CORRUPT_COL. None when the files hold no columns at all (empty files).
    """
    readers = {"csv": _read_csv, "json": _read_json, "parquet": _read_parquet}
    df = readers[source.format](spark, source, files)
    if df is None:
        return None
    if CORRUPT_COL not in df.columns:
        df = df.withColumn(CORRUPT_COL, F.lit(None).cast("string"))
    return df.toDF(*[c if c in (FILE_COL, CORRUPT_COL) else bronze_column_name(c) for c in df.columns])


def _reader_options(source: Source) -> dict[str, str]:
    return {key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in source.options.items()}


def _read_csv(spark: SparkSession, source: Source, files: list[str]) -> DataFrame | None:
    """CSV, all columns as text; files are grouped by header so columns keep their names."""
    # RFC 4180: a quote inside a quoted field is doubled (Spark's default escape is a backslash).
    options = {"header": "true", "escape": '"'} | _reader_options(source)
    by_header: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for file in files:
        header = tuple(spark.read.options(**options).csv(file).columns)
        if header:
            by_header[header].append(file)
    frames = []
    for header, group in by_header.items():
        schema = T.StructType(
            [T.StructField(name, T.StringType()) for name in header]
            + [T.StructField(CORRUPT_COL, T.StringType())]
        )
        frames.append(
            spark.read.options(**options)
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", CORRUPT_COL)
            .schema(schema)
            .csv(group)
            .select("*", F.col("_metadata.file_path").alias(FILE_COL))
        )
    return _union(frames)


def _read_json(spark: SparkSession, source: Source, files: list[str]) -> DataFrame | None:
    """JSON lines with leaf values as text (nested structure kept), broken lines kept raw."""
    options = {"primitivesAsString": "true"} | _reader_options(source)
    df = (
        spark.read.options(**options)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT_COL)
        .json(files)
    )
    if not df.columns:
        return None
    return df.select("*", F.col("_metadata.file_path").alias(FILE_COL))


def _read_parquet(spark: SparkSession, source: Source, files: list[str]) -> DataFrame | None:
    """Parquet as typed by its writer; schemas of several files are merged."""
    df = spark.read.options(**({"mergeSchema": "true"} | _reader_options(source))).parquet(*files)
    if not df.columns:
        return None
    return df.select("*", F.col("_metadata.file_path").alias(FILE_COL))


def _union(frames: list[DataFrame]) -> DataFrame | None:
    if not frames:
        return None
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame, allowMissingColumns=True)
    return result
