"""Land a source's new files in bronze as they came; rows that cannot be read go to quarantine.

One call lands one batch: the files not yet in the ingest log. The batch is written to
quarantine, bronze and the ingest log with the same Delta transaction id, so a batch that
crashed half way is completed, never doubled, when the call is repeated.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.conform import Conformed, SourceError, bronze_column_name, conform, missing_columns, referenced_columns
from jobs.delta import read_table, stats_only_on
from jobs.writes import append, compact
from jobs.files import SourceFile, list_files
from jobs.ingest_log import landed_files, record_batch
from jobs.privacy.forget_requests import suppressed_hashes
from jobs.privacy.suppress import suppressed
from jobs.readers import CORRUPT_COL, READ_PROBLEM_COL, READER_COLUMNS, read_source_files
from schemas.model import Model
from schemas.sources import Source
from schemas.tables import (
    BATCH_COL,
    FILE_COL,
    INGESTED_AT_COL,
    INGESTION_COLUMNS,
    RAW_COL,
    REASON_COL,
    SOURCE_COL,
    Lake,
)

MALFORMED = {
    "csv": "malformed CSV row (wrong number of fields or broken quoting)",
    "json": "malformed JSON line",
    "parquet": "unreadable Parquet row",
}
# A CSV record over several lines with an odd number of quotes: a quote opened and never closed,
# so the parser read on (RFC 4180: a line break in a quoted field is data) to the next quote or the
# end of the file. The lines it swallowed are in this one record, whole, and in no other row.
UNCLOSED_QUOTE = (
    "malformed CSV row: a quote is never closed, so this record runs over %d lines, to the next "
    "quote or the end of the file; the rows on those lines are inside it and none of them landed "
    "(deliver the file with the quote closed, under a new name)"
)
# What a reader puts where bytes were not valid in the declared (default UTF-8) encoding.
REPLACEMENT_CHAR = "\ufffd"
SUPPRESSED_COL = "_suppressed"
NOT_UTF8 = (
    "text is not valid {encoding} (bytes replaced by U+FFFD); declare the file's encoding in "
    "the source's options, e.g. encoding: ISO-8859-1"
)


@dataclass(frozen=True)
class LandingResult:
    """What one landing did, for asset metadata and the run summary."""

    source: str
    batch_id: int | None
    new_files: list[str] = field(default_factory=list)
    rows_landed: int = 0
    rows_quarantined: int = 0
    files_already_landed: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    rows_suppressed: int = 0  # rows of forgotten people, dropped (see jobs/privacy)
    # the batch (or part of it) had committed already, by an earlier try or a concurrent writer: the
    # counts above are what this call wrote, and the table holds the batch once
    committed_before: bool = False


def land_source(
    spark: SparkSession,
    name: str,
    source: Source,
    model: Model,
    location: str,
    lake: Lake,
    now: datetime | None = None,
    region: str = "US",
) -> LandingResult:
    """Land every file of the source that the ingest log does not know yet, as one batch.

    region: the workspace's default phone region, to recognise forgotten people's phones.
    """
    listed = list_files(spark, location, source.format)
    landed, last_batch = landed_files(lake, name)
    new = [f for f in listed if f.path not in landed]
    if not new:
        return LandingResult(name, None, files_already_landed=len(listed))
    batch_id = last_batch + 1
    landed_at = (now or datetime.now(UTC)).replace(microsecond=0)
    existing = read_table(spark, lake.bronze(name))
    reference = existing.schema if existing is not None else None
    raw = read_source_files(spark, source, [f.path for f in new], reference)
    if raw is None:  # only empty files: remember them so they are not read again
        record_batch(spark, lake, name, batch_id, new, {}, landed_at)
        return LandingResult(name, batch_id, [f.path for f in new], files_already_landed=len(landed))

    _check_columns(raw, name, source, new)
    complete = _with_optional_columns(raw, name, source, new, reference)
    # The row as the model reads it: bronze keeps what came, and takes from it only why a row
    # cannot be typed (quarantine) and whose row it is (forgotten people); silver types it.
    row = conform(name, source, model, region)
    forgotten = suppressed(row, model, source.target.name, suppressed_hashes(spark, lake))
    checked = (
        _with_reasons(complete, source, row)
        .withColumn(SUPPRESSED_COL, F.col(REASON_COL).isNull() & forgotten)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    try:
        stamp = [
            F.lit(name).alias(SOURCE_COL),
            F.col(FILE_COL),
            F.lit(batch_id).cast("long").alias(BATCH_COL),
            F.lit(landed_at).cast("timestamp").alias(INGESTED_AT_COL),
        ]
        source_columns = [c for c in raw.columns if c not in READER_COLUMNS]
        good = checked.where(F.col(REASON_COL).isNull() & ~F.col(SUPPRESSED_COL)).select(
            *[F.col(f"`{c}`") for c in source_columns], *stamp
        )
        bad = checked.where(F.col(REASON_COL).isNotNull()).select(
            *stamp,
            # a reader keeps unparseable bytes as they came; quarantine's readers need UTF-8
            F.make_valid_utf8(_raw_text(source_columns)).alias(RAW_COL),
            F.col(REASON_COL),
        )
        stats, reasons = _counts(checked)
        _check_drift(name, source, good, reference)
        # Statistics (kept in the Delta log) only on ingestion columns: no personal data there.
        no_personal_stats = stats_only_on(list(INGESTION_COLUMNS))
        # False: this batch committed already (an earlier try, or a writer racing this one): its
        # rows are in the table once, and none of them were written by this call
        quarantined_here = append(bad, lake.quarantine(name), once=(f"quarantine:{name}", batch_id),
                                  properties=no_personal_stats)
        landed_here = True
        if source_columns:  # (none when no row of the batch could be parsed)
            landed_here = append(good, lake.bronze(name), once=(f"bronze:{name}", batch_id), merge_schema=True,
                                 properties=no_personal_stats)
        record_batch(spark, lake, name, batch_id, new, stats, landed_at)
        compact(spark, lake.bronze(name))  # each landing appends files; many runs leave many small ones
    finally:
        checked.unpersist()
    return LandingResult(
        source=name,
        batch_id=batch_id,
        new_files=[f.path for f in new],
        rows_landed=sum(s[0] for s in stats.values()) if landed_here else 0,
        rows_quarantined=sum(s[1] for s in stats.values()) if quarantined_here else 0,
        files_already_landed=len(landed),
        quarantine_reasons=reasons if quarantined_here else {},
        rows_suppressed=sum(s[2] for s in stats.values()) if landed_here else 0,
        committed_before=not (landed_here and quarantined_here),
    )


def _check_columns(raw: DataFrame, name: str, source: Source, files: list[SourceFile]) -> None:
    if not _source_columns(raw):
        return  # no row could be parsed at all: every row goes to quarantine as unreadable
    missing = missing_columns(raw, source.required_columns())
    if missing:
        shown = ", ".join(f.path for f in files)
        raise SourceError(
            f"source '{name}': required column(s) {missing} missing in {shown} "
            f"(columns found: {[c for c in raw.columns if c not in READER_COLUMNS]})"
        )


def _with_optional_columns(
    raw: DataFrame, name: str, source: Source, files: list[SourceFile], reference: T.StructType | None
) -> DataFrame:
    """Add as null the top-level optional columns a batch lacks, so mappings still resolve.

    The null takes bronze's type for the column where bronze has it (so the append does not
    clash), else text. Under schema_drift.missing_columns: fail, a lacking column fails.
    """
    absent = {name.split(".")[0] for name in referenced_columns(source)}
    absent = {bronze_column_name(c) for c in absent} - set(raw.columns)
    if absent and source.schema_drift.missing_columns == "fail" and _source_columns(raw):
        raise SourceError(
            f"source '{name}': optional column(s) {sorted(absent)} missing in "
            f"{', '.join(f.path for f in files)} and schema_drift.missing_columns is 'fail'"
        )
    types = {f.name: f.dataType for f in (reference.fields if reference else [])}
    for column in sorted(absent):
        raw = raw.withColumn(column, F.lit(None).cast(types.get(column, T.StringType())))
    return raw


def _raw_text(source_columns: list[str]):
    """A quarantined row as it came: the unparsed text, else its values as JSON."""
    if not source_columns:
        return F.col(CORRUPT_COL)
    return F.coalesce(F.col(CORRUPT_COL), F.to_json(F.struct(*[F.col(f"`{c}`") for c in source_columns])))


def _source_columns(raw: DataFrame) -> list[str]:
    return [c for c in raw.columns if c not in READER_COLUMNS]


def _with_reasons(raw: DataFrame, source: Source, row: Conformed) -> DataFrame:
    """Each row with why it cannot land (null if it can): unreadable, badly encoded, or invalid."""
    encoding = str(source.options.get("encoding", "UTF-8"))
    not_encoded = F.lit(NOT_UTF8.format(encoding=encoding))
    corrupt = F.col(CORRUPT_COL)
    badly_encoded = ~F.is_valid_utf8(corrupt) | corrupt.contains(REPLACEMENT_CHAR)
    unreadable = F.when(badly_encoded, not_encoded).when(corrupt.isNotNull(), _malformed(source, corrupt))
    values = [c for c in raw.columns if c not in READER_COLUMNS]
    replaced = F.when(
        F.to_json(F.struct(*[F.col(f"`{c}`") for c in values])).contains(REPLACEMENT_CHAR), not_encoded
    ) if values and source.format != "parquet" else F.lit(None)
    reasons = [F.col(READ_PROBLEM_COL), unreadable, replaced, row.problems]
    return raw.withColumn(REASON_COL, F.coalesce(*[r.cast("string") for r in reasons]))


def _malformed(source: Source, corrupt: Column) -> Column:
    """Why a row could not be parsed; for CSV, whether an unclosed quote swallowed the lines after it."""
    options = {key.lower(): str(value) for key, value in source.options.items()}
    quote = options.get("quote", '"')
    if source.format != "csv" or len(quote) != 1 or options.get("escape", '"') != quote:
        return F.lit(MALFORMED[source.format])  # (with another escape, quotes do not pair up)
    lines = F.size(F.split(corrupt, r"\r\n|\r|\n"))
    quotes = F.length(corrupt) - F.length(F.replace(corrupt, F.lit(quote), F.lit("")))
    return F.when((lines > 1) & (quotes % 2 == 1), F.format_string(UNCLOSED_QUOTE, lines)).otherwise(
        F.lit(MALFORMED[source.format])
    )


def _counts(checked: DataFrame) -> tuple[dict[str, tuple[int, int, int]], dict[str, int]]:
    """file -> (rows landed, rows quarantined, rows suppressed), and reason -> rows: one Spark job for both."""
    stats: dict[str, tuple[int, int, int]] = {}
    reasons: dict[str, int] = defaultdict(int)
    for r in checked.groupBy(FILE_COL, REASON_COL, SUPPRESSED_COL).count().collect():
        good, bad, suppressed = stats.get(r[FILE_COL], (0, 0, 0))
        if r[REASON_COL] is not None:
            bad += r["count"]
            reasons[r[REASON_COL]] += r["count"]
        elif r[SUPPRESSED_COL]:
            suppressed += r["count"]
        else:
            good += r["count"]
        stats[r[FILE_COL]] = (good, bad, suppressed)
    return stats, dict(reasons)


def _check_drift(name: str, source: Source, good: DataFrame, reference: T.StructType | None) -> None:
    """Under schema_drift.new_columns: fail, refuse a batch that brings columns bronze lacks."""
    if source.schema_drift.new_columns != "fail" or reference is None:
        return
    added = sorted(set(good.columns) - set(reference.fieldNames()))
    if added:
        raise SourceError(
            f"source '{name}': new column(s) {added} and schema_drift.new_columns is 'fail'; "
            "set it to evolve in sources.yaml to accept them"
        )
