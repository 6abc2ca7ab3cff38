"""Delete one person's rows from every table of the lake, without writing their data to the log.

Each delete is a Delta MERGE ... WHEN MATCHED THEN DELETE against a small DataFrame of the
person's values: the commit records the join condition, never the values (a DELETE with a
literal predicate would keep the person's email in the table's history forever).
- silver, gold, meta: rows where any text column (or array, map, struct) holds one of the
  person's values (record IDs, customer IDs, emails, phones, interaction IDs);
- bronze: rows that conform to one of the person's records or interactions, or whose
  normalised email or phone is theirs (the mapping of sources.yaml, read backwards);
- quarantine: rows whose raw text holds their email, phone digits or the source key of one
  of their records.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import phonenumbers
from delta.tables import DeltaTable
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.conform import conform_source, record_id
from jobs.delta import read_table, retry_on_conflict
from jobs.lake import LakeTable
from jobs.privacy.identifiers import Subject
from jobs.privacy.subject import contact_columns
from schemas.sources import Source
from schemas.tables import BRONZE, FORGET_REQUESTS, META, QUARANTINE, RAW_COL, RECORD_ID, link_column
from schemas.workspace import Workspace

VALUE, KIND = "_forget_value", "_forget_kind"


@dataclass(frozen=True)
class Erased:
    """Rows removed from one table."""

    table: str
    rows: int


def erase_subject(
    spark: SparkSession, workspace: Workspace, tables: list[LakeTable], subject: Subject
) -> list[Erased]:
    """Remove the person from every table given; tables without them are left untouched."""
    erased = []
    for table in tables:
        if table.layer == META and table.name == FORGET_REQUESTS:
            continue  # the audit holds hashes only
        if table.layer == BRONZE and table.name in workspace.sources:
            rows = _erase_bronze(spark, workspace, table, subject)
        elif table.layer == QUARANTINE and table.name in workspace.sources:
            rows = _erase_quarantine(spark, workspace, table, subject)
        else:
            rows = _erase_values(spark, table, subject)
        erased.append(Erased(table.key, rows))
    return erased


def delete_matching(spark: SparkSession, path: str, needles: DataFrame, condition: Column) -> int:
    """MERGE-delete the target rows (alias t) matching any needle row (alias s); rows removed."""
    target = spark.read.format("delta").load(path).alias("t")
    hits = target.join(F.broadcast(needles.alias("s")), condition, "left_semi").count()
    if hits:
        retry_on_conflict(
            lambda: DeltaTable.forPath(spark, path).alias("t")
            .merge(needles.alias("s"), condition)
            .whenMatchedDelete()
            .execute(),
            f"forget in {path}",
        )
    return hits


def _erase_values(spark: SparkSession, table: LakeTable, subject: Subject) -> int:
    values = sorted(subject.values())
    df = spark.read.format("delta").load(table.path)
    tests = [_holds(field) for field in df.schema.fields]
    tests = [t for t in tests if t is not None]
    if not values or not tests:
        return 0
    needles = spark.createDataFrame([(v,) for v in values], f"{VALUE} string")
    return delete_matching(spark, table.path, needles, reduce(lambda a, b: a | b, tests))


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


def _erase_bronze(spark: SparkSession, workspace: Workspace, table: LakeTable, subject: Subject) -> int:
    """Rows of a source that conform to the person's records, links or contacts."""
    name, source, model = table.name, workspace.sources[table.name], workspace.model
    bronze = read_table(spark, table.path)
    conformed = conform_source(bronze, name, source, model, workspace.settings.defaults.country)
    ids = sorted(subject.record_ids | subject.interaction_ids())
    tests = [F.col(RECORD_ID).isin(ids)]
    tests += [F.col(link_column(r)).isin(sorted(subject.record_ids)) for r in model.link_roles(source.target.name)]
    for column, kind in contact_columns(model, source.target.name).items():
        if column in source.mapping:
            tests.append(F.col(column).isin(sorted(subject.emails if kind == "email" else subject.phones)))
    doomed = [r[0] for r in conformed.where(reduce(lambda a, b: a | b, tests))
              .select(RECORD_ID).where(F.col(RECORD_ID).isNotNull()).distinct().collect()]
    if not doomed:
        return 0
    needles = spark.createDataFrame([(v,) for v in doomed], f"{VALUE} string")
    return delete_matching(spark, table.path, needles, record_id(name, source.key) == F.col(f"s.{VALUE}"))


def _erase_quarantine(
    spark: SparkSession, workspace: Workspace, table: LakeTable, subject: Subject
) -> int:
    """Quarantined rows whose raw text holds the person's email, phone or a key of theirs."""
    name, source = table.name, workspace.sources[table.name]
    prefix = f"{name}:"
    keys = sorted(v[len(prefix):] for v in subject.record_ids | subject.interaction_ids() if v.startswith(prefix))
    needles = [("email", e.lower()) for e in subject.emails]
    needles += [("digits", d) for d in (_national_digits(p) for p in subject.phones) if d]
    needles += [("key", k) for k in keys]
    if not needles:
        return 0
    raw, value, kind = F.col(f"t.{RAW_COL}"), F.col(f"s.{VALUE}"), F.col(f"s.{KIND}")
    condition = ((kind == "email") & (F.instr(F.lower(raw), value) > 0)) | (
        (kind == "digits") & (F.instr(F.regexp_replace(raw, "[^0-9]", ""), value) > 0)
    ) | ((kind == "key") & _raw_key_is(raw, source, value))
    frame = spark.createDataFrame(needles, f"{KIND} string, {VALUE} string")
    return delete_matching(spark, table.path, frame, condition)


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

