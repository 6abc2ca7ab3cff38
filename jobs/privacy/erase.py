"""Delete people's rows from every table of the lake, without writing their data to the log.

A batch of requests is erased as one Subject (Subject.union): one MERGE per table for all of them.

Each delete is a Delta MERGE ... WHEN MATCHED THEN DELETE against a small DataFrame of the
person's values: the commit records the join condition, never the values (a DELETE with a
literal predicate would keep the person's email in the table's history forever).
- silver, gold, meta: rows where a key column (the catalogue's Table.keys) holds one of the
  person's values (record IDs, customer IDs, emails, phones, interaction IDs): a join on the
  keys, whatever the number of people (searching every nested column of customer_360 for
  thousands of values was a nested-loop join); a table without keys, any text column (or
  array, map, struct);
- bronze: rows that conform to one of the person's records or interactions, or whose
  normalised email or phone is theirs (the mapping of sources.yaml, read backwards);
- quarantine: rows whose raw text holds their email, phone digits or the source key of one
  of their records.

Which tables: every table of the workspace's catalogue that the lake holds; a table the
catalogue names as holding no person (no keys, no personal data: the audit, the ingest log,
aggregates) is not searched. The values are never literals of the MERGE condition (Delta
would log them in the commit), so Delta cannot skip files by statistics. Instead the MERGE runs
only where someone concerned may be (jobs/privacy/presence.py, delta-rs reads of the keys or the
raw text, no Spark job): an empty table, keys that hold none of the values, a bronze source none
of whose record IDs, links or contacts can be theirs, a quarantine whose raw text cannot hold
them are left alone. A MERGE that matches nothing commits nothing. A table under the lake that
the catalogue does not declare is searched like silver, with a warning naming it, so that nothing is skipped silently.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial, reduce

import phonenumbers
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.conform import Conformed, conform, conform_source, raw_value, record_id
from jobs.delta import read_table, table_version
from jobs.lake import LakeTable, each_table, forget_erased_rows
from jobs.privacy.identifiers import Subject
from jobs.privacy.presence import has_rows, holds_any, raw_may_hold
from jobs.privacy.subject import contact_columns
from jobs.writes import merge
from schemas.catalog import Table, catalog
from schemas.model import Model
from schemas.sources import Source
from schemas.tables import BRONZE, QUARANTINE, RAW_COL, RECORD_ID, link_column
from schemas.workspace import Workspace

VALUE, KIND = "_forget_value", "_forget_kind"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Erased:
    """Rows removed from one table."""

    table: str
    rows: int
    seconds: float = 0.0  # wall time of this table's search and erase


def erase_subject(
    spark: SparkSession, workspace: Workspace, present: list[LakeTable], subject: Subject
) -> list[Erased]:
    """Remove the person from every table the lake holds; tables without them are left untouched.

    A few tables at a time (jobs.lake.each_table), each in a session of its own: the MERGE's
    commit record is a session setting.
    """
    on_disk = {table.key: table for table in present}
    work: list[tuple[LakeTable, Callable[[SparkSession], int]]] = []
    for table in catalog(workspace):
        found = on_disk.pop(table.key, None)
        if found is not None and (table.keys or table.personal):
            work.append((found, partial(_erase_table, workspace=workspace, table=table, path=found.path,
                                        subject=subject)))
    for stray in on_disk.values():
        log.warning("%s is under the lake but not in the catalogue: erasing by value in every column; "
                    "declare it in schemas/catalog.py", stray.key)
        work.append((stray, partial(_erase_values, path=stray.path, subject=subject)))
    return each_table(work, lambda item: _timed(item[0].key, item[1], spark.newSession()))


def _timed(key: str, erase: Callable[[SparkSession], int], session: SparkSession) -> Erased:
    started = time.perf_counter()
    rows = erase(session)
    return Erased(key, rows, round(time.perf_counter() - started, 2))


def _erase_table(spark: SparkSession, workspace: Workspace, table: Table, path: str, subject: Subject) -> int:
    """Bronze and quarantine rows are found through their source; every other table by value."""
    if not has_rows(path):
        return 0
    if table.layer == BRONZE:
        return _erase_bronze(spark, workspace, table.name, path, subject)
    if table.layer == QUARANTINE:
        return _erase_quarantine(spark, workspace, table.name, path, subject)
    return _erase_values(spark, path, subject, table.keys)


def delete_matching(spark: SparkSession, path: str, needles: DataFrame, condition: Column) -> int:
    """MERGE-delete the target rows (alias t) matching any needle row (alias s); rows removed.

    One scan: a MERGE that matches nothing commits nothing (the version from the log's file
    names says so), and one that does records the rows it deleted in its commit's operationMetrics
    (read with delta-rs: jobs.lake.forget_erased_rows).
    """
    before = table_version(spark, path) or 0
    merge(spark, path, lambda table: table.alias("t").merge(F.broadcast(needles.alias("s")), condition)
          .whenMatchedDelete())
    return forget_erased_rows(path, newest=(table_version(spark, path) or 0) - before)


def _erase_values(spark: SparkSession, path: str, subject: Subject, keys: tuple[str, ...] = ()) -> int:
    """Rows where a key (or, without keys, any text column, array, map, struct) holds one of the values."""
    values = sorted(subject.values())
    if not values or (keys and holds_any(path, keys, values) is False):
        return 0  # nobody concerned (delta-rs read the keys): no Spark job at all
    df = spark.read.format("delta").load(path)
    fields = [f for f in df.schema.fields if f.name in keys] if keys else df.schema.fields
    tests = [_holds(field) for field in fields]
    tests = [t for t in tests if t is not None]
    if not values or not tests:
        return 0
    needles = spark.createDataFrame([(v,) for v in values], f"{VALUE} string")
    return delete_matching(spark, path, needles, reduce(lambda a, b: a | b, tests))


def _holds(field: T.StructField) -> Column | None:
    """Whether target column t.<field> holds the needle s._forget_value."""
    column, needle = F.col(f"t.`{field.name}`"), F.col(f"s.{VALUE}")
    if isinstance(field.dataType, T.StringType):
        return column == needle
    if isinstance(field.dataType, T.ArrayType) and isinstance(field.dataType.elementType, T.StringType):
        return F.array_contains(column, needle)
    if isinstance(field.dataType, T.ArrayType | T.MapType | T.StructType):
        return F.instr(F.to_json(column), F.concat(F.lit('"'), needle, F.lit('"'))) > 0
    return None


def _erase_bronze(spark: SparkSession, workspace: Workspace, name: str, path: str, subject: Subject) -> int:
    """Rows of a source that conform to the person's records, links or contacts."""
    source, model = workspace.sources[name], workspace.model
    wanted = _bronze_wanted(workspace, name, subject)
    if not wanted:
        return 0  # none of their records is of this source, links to its targets or has its contacts
    country = workspace.settings.defaults.country
    bronze = read_table(spark, path).where(_may_conform_to(conform(name, source, model, country), source, model,
                                                            wanted))
    conformed = conform_source(bronze, name, source, model, country)
    tests = [F.col(column).isin(values) for column, values in wanted.items()]
    doomed = [r[0] for r in conformed.where(reduce(lambda a, b: a | b, tests))
              .select(RECORD_ID).where(F.col(RECORD_ID).isNotNull()).distinct().collect()]
    if not doomed:
        return 0
    needles = spark.createDataFrame([(v,) for v in doomed], f"{VALUE} string")
    return delete_matching(spark, path, needles, record_id(name, source.key) == F.col(f"s.{VALUE}"))


def _may_conform_to(row: Conformed, source: Source, model: Model, wanted: dict[str, list[str]]) -> Column:
    """True for every bronze row whose conformed values may be wanted, without the phone UDF.

    IDs, links and emails are Spark expressions, tested exactly. A phone normalises to one of
    the numbers only if its text holds that number's last four digits, unless the text has a
    character phonenumbers may read otherwise (a letter, another script's digit, an extension
    mark): such rows pass too, and the exact test on the conformed rows decides.
    """
    phones = {c for c, kind in contact_columns(model, source.target.name).items() if kind == "phone"}
    conformed = {RECORD_ID: row.record_id, **{link_column(r): c for r, c in row.links.items()}, **row.attributes}
    tests = []
    for column, values in wanted.items():
        if column not in phones:
            tests.append(conformed[column].isin(values))
            continue
        tests.append(may_be_phone(raw_value(source.column_mappings()[column]).cast("string"), values))
    return reduce(lambda a, b: a | b, tests)


def may_be_phone(text: Column, phones: list[str]) -> Column:
    """False only for text that cannot normalise to one of the E.164 phones (see _may_conform_to)."""
    digits = F.regexp_replace(text, "[^0-9]", "")
    tails = [F.instr(digits, tail) > 0 for tail in sorted({p[-4:] for p in phones})]
    return text.rlike(r"[^0-9 +().\-/]") | reduce(lambda a, b: a | b, tails)


def _bronze_wanted(workspace: Workspace, name: str, subject: Subject) -> dict[str, list[str]]:
    """Conformed column -> the person's values it can hold in this source (none listed: none it can).

    A record ID starts with its source's name ('<source>:<key>', jobs.conform.record_id), and so
    does a link's target; a link without a source of its own is null.
    """
    source, model = workspace.sources[name], workspace.model
    mine = lambda values, prefix: sorted(v for v in values if v.startswith(f"{prefix}:"))  # noqa: E731
    wanted = {RECORD_ID: mine(subject.record_ids | subject.interaction_ids(), name)}
    for role in model.link_roles(source.target.name):
        link = source.links.get(role)
        if link is not None and link.source is not None:
            wanted[link_column(role)] = mine(subject.record_ids, link.source)
    for column, kind in contact_columns(model, source.target.name).items():
        if column in source.mapping:
            wanted[column] = sorted(subject.emails if kind == "email" else subject.phones)
    return {column: values for column, values in wanted.items() if values}


def _erase_quarantine(
    spark: SparkSession, workspace: Workspace, name: str, path: str, subject: Subject
) -> int:
    """Quarantined rows whose raw text holds the person's email, phone or a key of theirs."""
    prefix = f"{name}:"
    keys = sorted(v[len(prefix):] for v in subject.record_ids | subject.interaction_ids() if v.startswith(prefix))
    emails = [e.lower() for e in subject.emails]
    digits = [d for d in (_national_digits(p) for p in subject.phones) if d]
    needles = [("email", e) for e in emails] + [("digits", d) for d in digits] + [("key", k) for k in keys]
    if not needles or not raw_may_hold(path, RAW_COL, emails, digits, keys):
        return 0  # no row's raw text can hold them (delta-rs read it): no MERGE
    frame = spark.createDataFrame(needles, f"{KIND} string, {VALUE} string")
    return delete_matching(spark, path, frame, raw_holds(workspace.sources[name]))


def raw_holds(source: Source) -> Column:
    """Whether quarantined row t's raw text holds needle s: an email, a phone's digits or a source key."""
    raw, value, kind = F.col(f"t.{RAW_COL}"), F.col(f"s.{VALUE}"), F.col(f"s.{KIND}")
    return ((kind == "email") & (F.instr(F.lower(raw), value) > 0)) | (
        (kind == "digits") & (F.instr(F.regexp_replace(raw, "[^0-9]", ""), value) > 0)
    ) | ((kind == "key") & _raw_key_is(raw, source, value))


def _raw_key_is(raw: Column, source: Source, key: Column) -> Column:
    """Whether a raw row (JSON text, or a CSV line) carries this source key."""
    parts = [F.get_json_object(raw, f"$.{c}") for c in source.key]
    in_json = F.concat_ws("|", *[F.trim(p) for p in parts]) == key
    if source.format != "csv" or len(source.key) != 1:
        return in_json
    delimiter = str(source.options.get("delimiter", source.options.get("sep", ",")))
    fields = F.split(raw, "\\" + delimiter if delimiter in ".|^$*+?()[]{}\\" else delimiter)
    return in_json | F.array_contains(F.transform(fields, lambda f: F.trim(F.regexp_replace(f, '"', ""))), key)


def _national_digits(e164: str) -> str | None:
    """The national significant number of an E.164 phone: what any spelling of it contains."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    digits = phonenumbers.national_significant_number(number)
    return digits if len(digits) >= 6 else None

