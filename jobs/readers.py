"""Read source files as they came: text stays text, broken rows are kept with their raw text."""

from __future__ import annotations

from collections import defaultdict

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.conform import SourceError, bronze_column_name
from schemas.sources import Source
from schemas.tables import FILE_COL

CORRUPT_COL = "_corrupt_record"
# Why a whole file's rows cannot land as they are (e.g. a column changed type), or null.
READ_PROBLEM_COL = "_read_problem"
READER_COLUMNS = (FILE_COL, CORRUPT_COL, READ_PROBLEM_COL)
UTF8 = ("utf-8", "utf8")


def read_source_files(
    spark: SparkSession, source: Source, files: list[str], reference: T.StructType | None = None
) -> DataFrame | None:
    """All rows of the files, with their file path and, for rows that cannot land, the raw text.

    Columns are the source's own (renamed only where Delta forbids a character), plus
    FILE_COL, CORRUPT_COL and READ_PROBLEM_COL. `reference` is the bronze schema landed so
    far: typed (Parquet) columns whose type changed against it are flagged, not merged.
    None when the files hold no columns at all (empty files).
    """
    if source.format == "parquet":
        df = _read_parquet(spark, source, files, reference)
    else:
        df = {"csv": _read_csv, "json": _read_json}[source.format](spark, source, files)
    if df is None:
        return None
    for column in (CORRUPT_COL, READ_PROBLEM_COL):
        if column not in df.columns:
            df = df.withColumn(column, F.lit(None).cast("string"))
    return df.toDF(*[c if c in READER_COLUMNS else bronze_column_name(c) for c in df.columns])


# CSV as RFC 4180 writes it, unless the source's options say otherwise: a quote inside a quoted
# field is doubled (Spark's default escape is a backslash), and a quoted field may hold line
# breaks (Spark's default reads line by line, cutting such a field at the break: the row landed
# truncated and the rest of the field was quarantined as a row of its own).
CSV_DEFAULTS = {"header": "true", "escape": '"', "multiLine": "true"}


def _reader_options(source: Source, defaults: dict[str, str] | None = None) -> dict[str, str]:
    """The source's options over the defaults; Spark's option names ignore case, so do we."""
    given = {key: str(value).lower() if isinstance(value, bool) else str(value)
             for key, value in source.options.items()}
    lowered = {key.lower() for key in given}
    return {k: v for k, v in (defaults or {}).items() if k.lower() not in lowered} | given


def _read_csv(spark: SparkSession, source: Source, files: list[str]) -> DataFrame | None:
    """CSV, all columns as text; files are grouped by header so columns keep their names."""
    options = _reader_options(source, CSV_DEFAULTS)
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
    options = _reader_options(source, {"primitivesAsString": "true"})
    if options.get("encoding", "utf-8").lower() not in UTF8:
        options.setdefault("lineSep", "\n")  # Spark needs it to split lines in other encodings
    df = (
        spark.read.options(**options)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT_COL)
        .json(files)
    )
    if not df.columns:
        return None
    if df.columns == [CORRUPT_COL]:  # no line parsed: Spark refuses queries of only this column
        text = spark.read.options(**{k: v for k, v in options.items() if k in ("encoding", "lineSep")})
        lines = text.text(files).where(F.trim("value") != "")
        return lines.select(F.col("value").alias(CORRUPT_COL), F.col("_metadata.file_path").alias(FILE_COL))
    return df.select("*", F.col("_metadata.file_path").alias(FILE_COL))


def _read_parquet(
    spark: SparkSession, source: Source, files: list[str], reference: T.StructType | None
) -> DataFrame | None:
    """Parquet as typed by its writer, files grouped by schema.

    A column whose type differs from the reference (bronze, else the oldest file) and is not
    a safe widening (int -> long, float -> double) is a type change: by the source's policy
    the file's rows are flagged for quarantine with the reason, or the source fails.
    """
    options = _reader_options(source)
    by_schema: dict[str, tuple[T.StructType, list[str]]] = {}
    for file in files:
        schema = spark.read.options(**options).parquet(file).schema
        by_schema.setdefault(schema.json(), (schema, []))[1].append(file)
    known = {f.name: f.dataType for f in (reference.fields if reference else [])}
    frames = []
    for schema, group in by_schema.values():
        changed = {}
        for f in schema.fields:
            old = known.setdefault(bronze_column_name(f.name), f.dataType)
            if f.dataType != old and not _widens(f.dataType, old):
                changed[f.name] = (old, f.dataType)
        df = spark.read.options(**options).parquet(*group)
        if not df.columns:
            continue
        with_file = df.select("*", F.col("_metadata.file_path").alias(FILE_COL))
        if changed:
            with_file = _type_changed(with_file, source, group, changed)
        frames.append(with_file.select(
            *[_cast_to(c, known.get(bronze_column_name(c))) for c in df.columns],
            *[c for c in READER_COLUMNS if c in with_file.columns],
        ))
    return _union(frames)


def _widens(new: T.DataType, old: T.DataType) -> bool:
    """Whether values of type new fit losslessly into a column of type old."""
    widening = {
        (T.ByteType, T.ShortType), (T.ByteType, T.IntegerType), (T.ByteType, T.LongType),
        (T.ShortType, T.IntegerType), (T.ShortType, T.LongType), (T.IntegerType, T.LongType),
        (T.FloatType, T.DoubleType), (T.IntegerType, T.DoubleType), (T.DateType, T.TimestampType),
    }
    return (type(new), type(old)) in widening


def _cast_to(column: str, kind: T.DataType | None):
    col = F.col(f"`{column}`")
    return col if kind is None else col.cast(kind).alias(column)


def _type_changed(
    df: DataFrame, source: Source, files: list[str], changed: dict[str, tuple[T.DataType, T.DataType]]
) -> DataFrame:
    """The rows of files whose columns changed type: raw JSON text and the reason, or a SourceError."""
    described = "; ".join(
        f"column '{name}' is {new.simpleString()} here but {old.simpleString()} in bronze"
        for name, (old, new) in sorted(changed.items())
    )
    if source.schema_drift.type_changes == "fail":
        raise SourceError(
            f"type change in {', '.join(files)}: {described} "
            "(schema_drift.type_changes is 'fail'; set it to 'quarantine' to land the other files)"
        )
    columns = [c for c in df.columns if c != FILE_COL]
    raw = F.to_json(F.struct(*[F.col(f"`{c}`") for c in columns]))
    # The changed columns are nulled so the file still unions with the others; the row keeps
    # its raw text and the reason, and quarantine receives it.
    return df.select(
        *[F.lit(None).alias(c) if c in changed else F.col(f"`{c}`") for c in columns],
        F.col(FILE_COL),
        raw.alias(CORRUPT_COL),
        F.lit(f"type change: {described}").alias(READ_PROBLEM_COL),
    )


def _union(frames: list[DataFrame]) -> DataFrame | None:
    if not frames:
        return None
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame, allowMissingColumns=True)
    return result
