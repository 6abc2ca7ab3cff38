"""Read source files as they came: text stays text, broken rows are kept with their raw text."""

from __future__ import annotations

import json
from collections import defaultdict

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.errors import AnalysisException

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
# (and, when the escape is the quote, charToEscapeQuoteEscaping the quote too: see _read_csv)


def _reader_options(source: Source, defaults: dict[str, str] | None = None) -> dict[str, str]:
    """The source's options over the defaults; Spark's option names ignore case, so do we."""
    given = {key: str(value).lower() if isinstance(value, bool) else str(value)
             for key, value in source.options.items()}
    lowered = {key.lower() for key in given}
    return {k: v for k, v in (defaults or {}).items() if k.lower() not in lowered} | given


def _read_csv(spark: SparkSession, source: Source, files: list[str]) -> DataFrame | None:
    """CSV, all columns as text; files are grouped by header so columns keep their names."""
    options = _reader_options(source, CSV_DEFAULTS)
    given = {key.lower(): value for key, value in options.items()}
    quote = given.get("quote", '"')
    if given.get("escape") == quote and "chartoescapequoteescaping" not in given:
        # Spark's default for it is NUL, which the parser then drops from quoted values as an escape
        options["charToEscapeQuoteEscaping"] = quote
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


# JSON as RFC 8259 writes it: Spark's reader also takes single-quoted strings, which no JSON writer emits.
JSON_DEFAULTS = {"primitivesAsString": "true", "allowSingleQuotes": "false"}
# A line whose object names a key twice (or twice up to case, which Spark's columns ignore): RFC 8259
# leaves what it means open, and Spark's schema inference refused the whole source over it.
REPEATED_KEY = "malformed JSON line: key(s) %s appear more than once in the object (JSON names must be unique, ignoring case)"
# Spark's parser stops at the end of a line's first object: what followed it ({"id":1}{"id":2}) was lost.
TEXT_AFTER = "malformed JSON line: text after its object (a line holds one JSON object)"


def _read_json(spark: SparkSession, source: Source, files: list[str]) -> DataFrame | None:
    """JSON lines, one record per line, leaf values as text (nested structure kept), broken lines kept raw.

    In UTF-8, when a line is an array or a scalar, repeats a key or holds text after its object, each non-blank line is parsed on
    its own (from_json), so such a line is one quarantined record: never several rows, none, or a
    failed source. Otherwise (the usual case) Spark's JSON source reads the files.
    """
    options = _reader_options(source, JSON_DEFAULTS)
    given = {key.lower(): str(value).lower() for key, value in options.items()}
    if given.get("encoding", "utf-8") not in UTF8 or given.get("multiline") == "true":
        return _read_json_files(spark, options, files)  # (Spark's text reader knows UTF-8 and lines only)
    lines = (
        spark.read.options(**{k: v for k, v in options.items() if k.lower() == "linesep"}).text(files)
        .where(F.btrim("value", F.lit(" \t")) != "")
        .select("value", F.col("_metadata.file_path").alias(FILE_COL))
    )
    lines = lines.withColumn(READ_PROBLEM_COL, _repeated_keys(F.col("value")))
    lines = lines.withColumn(READ_PROBLEM_COL, F.coalesce(F.col(READ_PROBLEM_COL), _text_after_the_object(F.col("value"))))
    if lines.where(F.col(READ_PROBLEM_COL).isNotNull() | ~F.col("value").rlike(r"^[ \t]*\{")).isEmpty():
        # Every line one object without a repeated key: Spark's JSON source, which alone keeps a
        # number's text as written (from_json would print 12345678901234567.89 as a double)
        try:
            return _read_json_files(spark, options, files)
        except AnalysisException as error:  # a nested object repeats a key: its lines are found below
            if "COLUMN_ALREADY_EXISTS" not in str(error):
                raise
    schema = _json_schema(spark, options, files, lines)
    if schema is None:
        return None
    nested = _repeating_objects(schema)
    if nested:  # a nested object repeats a key: those lines too are quarantined, the schema keeps one
        lines = lines.withColumn(READ_PROBLEM_COL, F.coalesce(
            F.col(READ_PROBLEM_COL), *[_repeated_keys_at(F.col("value"), path) for path in nested]))
        schema = _unique_fields(schema)
    if schema.fieldNames() == [CORRUPT_COL]:  # no line parsed: Spark refuses queries of only this column
        return lines.select(F.col("value").alias(CORRUPT_COL), FILE_COL, READ_PROBLEM_COL)
    parse = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_COL} | {
        k: v for k, v in options.items() if k.lower() not in ("linesep", "mode", "columnnameofcorruptrecord")}
    parsed = lines.select("*", F.from_json("value", schema, parse).alias("_json"))
    unreadable = F.col(f"_json.{CORRUPT_COL}").isNotNull() | F.col(READ_PROBLEM_COL).isNotNull() \
        | ~F.is_valid_utf8("value")  # (whole line as raw text, so quarantine shows what came)
    return parsed.select(
        *[F.col("_json").getField(f.name).alias(f.name) for f in schema.fields if f.name != CORRUPT_COL],
        F.when(unreadable, F.col("value")).alias(CORRUPT_COL), FILE_COL, READ_PROBLEM_COL,
    )


def _text_after_the_object(line: Column) -> Column:
    """Why a line holds more than its JSON object ({"id":1}{"id":2}, {"id":1}, {"id":2}, {"id":1} x), or null.

    In brackets such a line is no JSON array (missing comma) or one of several values, while its first
    object alone parses; a line cut short parses neither way and is Spark's malformed line, as before.
    """
    values = F.json_array_length(F.concat(F.lit("["), line, F.lit("]")))
    first_parses = F.get_json_object(line, "$").isNotNull()
    return F.when((F.coalesce(values, F.lit(0)) != 1) & first_parses, F.lit(TEXT_AFTER))


def _repeated_keys(obj: Column, where: str = "") -> Column:
    """Why a JSON object's text repeats a key (ignoring case), or null."""
    keys = F.transform(F.json_object_keys(obj), F.lower)
    repeated = F.array_distinct(F.filter(keys, lambda k: F.size(F.filter(keys, lambda j: j == k)) > 1))
    named = F.transform(repeated, lambda k: F.concat(F.lit(f"{where}." if where else ""), k))
    return F.when(F.size(repeated) > 0, F.format_string(REPEATED_KEY, F.array_join(named, ", ")))


def _repeating_objects(kind: T.DataType, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths (field names, ARRAY for an array's elements) to nested objects whose inferred fields repeat a name."""
    if isinstance(kind, T.ArrayType):
        return _repeating_objects(kind.elementType, (*path, ARRAY))
    if not isinstance(kind, T.StructType):
        return []
    names = [f.name.lower() for f in kind.fields]
    found = [path] if path and len(set(names)) < len(names) else []
    for f in kind.fields:
        found += _repeating_objects(f.dataType, (*path, f.name))
    return found


# A path step into an array's elements; in a reason, `orders[].sku` is the key sku of an object in orders.
ARRAY = "[]"


def _repeated_keys_at(text: Column, path: tuple[str, ...], where: str = "") -> Column:
    """Why the JSON object at path inside text (any element, through arrays) repeats a key, or null."""
    if not path:
        return _repeated_keys(text, where)
    step, rest = path[0], path[1:]
    if step == ARRAY:  # an array of objects read as strings gives each object's own text
        reasons = F.transform(F.from_json(text, "array<string>"), lambda e: _repeated_keys_at(e, rest, where + ARRAY))
        return F.get(F.filter(reasons, lambda reason: reason.isNotNull()), 0)
    return _repeated_keys_at(F.get_json_object(text, f"$['{step}']"), rest, f"{where}.{step}" if where else step)


def _unique_fields(kind: T.DataType) -> T.DataType:
    """The type with the first of each nested name kept (ignoring case), inside arrays too, so Delta can hold it."""
    if isinstance(kind, T.ArrayType):
        return T.ArrayType(_unique_fields(kind.elementType), kind.containsNull)
    if not isinstance(kind, T.StructType):
        return kind
    fields, seen = [], set()
    for f in kind.fields:
        if f.name.lower() in seen:
            continue
        seen.add(f.name.lower())
        fields.append(T.StructField(f.name, _unique_fields(f.dataType), f.nullable))
    return T.StructType(fields)


def _json_schema(spark: SparkSession, options: dict[str, str], files: list[str], lines: DataFrame) -> T.StructType | None:
    """The files' inferred schema (with the corrupt-record column); None for no columns.

    When a line repeats a key, Spark's inference fails: the schema is then inferred from the
    lines that do not (in the JVM, through a Dataset of strings).
    """
    infer = spark.read.options(**options).option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT_COL)
    try:
        schema = infer.json(files).schema
    except AnalysisException as error:
        if "COLUMN_ALREADY_EXISTS" not in str(error):
            raise
        clean = lines.where(F.col(READ_PROBLEM_COL).isNull()).select("value")
        reader = spark._jsparkSession.read()  # noqa: SLF001 - PySpark reads JSON strings only from a Python RDD
        for key, value in options.items():
            reader = reader.option(key, value)
        strings = getattr(clean._jdf, "as")(spark._jvm.org.apache.spark.sql.Encoders.STRING())  # noqa: SLF001
        try:
            schema = T.StructType.fromJson(json.loads(reader.option("mode", "PERMISSIVE").option(
                "columnNameOfCorruptRecord", CORRUPT_COL).json(strings).schema().json()))
        except Exception as nested:  # noqa: BLE001 - py4j's error for the same analysis failure
            raise SourceError(
                f"a JSON object in {', '.join(files)} repeats a key inside a nested object; "
                f"Spark cannot infer a schema for it ({str(nested).splitlines()[0][:200]})") from nested
    if not schema.fields:
        return None
    if CORRUPT_COL not in schema.fieldNames():
        schema = schema.add(CORRUPT_COL, T.StringType())
    return schema


def _read_json_files(spark: SparkSession, options: dict[str, str], files: list[str]) -> DataFrame | None:
    """JSON in another encoding or multiLine (a document per file), read by Spark's JSON source."""
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
