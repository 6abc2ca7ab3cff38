"""A source row read as a record of the model, in one place: mapping, typing, normalising, and
why a row will not type.

`conform` is the one way a source value becomes a model value. Bronze keeps rows as they came
and asks it two things only: why a row cannot be typed (it goes to quarantine with the reason)
and whose row it is (forgotten people are kept out); silver selects its values
(`conform_source`). So what bronze accepts is exactly what silver types, by one definition.
A value that types but cannot be normalised (an email, phone or country) is null in silver,
with its attribute and reason in the row's `_issues`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.normalize import checked, country
from jobs.spark_types import SPARK_TYPES
from schemas.model import Attribute, Bound, Model
from schemas.sources import ColumnMapping, Source
from schemas.tables import (
    BATCH_COL,
    FILE_COL,
    INGESTED_AT_COL,
    ISSUE_ATTRIBUTE,
    ISSUE_REASON,
    ISSUES_COL,
    KEY_SEPARATOR,
    RECORD_ID,
    SOURCE,
    SOURCE_KEY,
    link_column,
)

# silver's _issues: which attribute could not be normalised, and why; null when none could not.
ISSUES_TYPE = T.ArrayType(T.StructType([T.StructField(ISSUE_ATTRIBUTE, T.StringType()),
                                        T.StructField(ISSUE_REASON, T.StringType())]))
# Characters Delta refuses in column names unless column mapping is on (which Power BI cannot read).
_INVALID_COLUMN_CHARS = re.compile(r"[ ,;{}()\n\t=]")


class SourceError(ValueError):
    """A source cannot be read as declared; the message names the source, file and column."""


@dataclass(frozen=True)
class Conformed:
    """A bronze-shaped row as the model's record: Column expressions, evaluated where selected."""

    source: str
    record_id: Column
    source_key: Column
    links: dict[str, Column]  # role -> record_id of the profile the row points at (null if none)
    attributes: dict[str, Column]  # every attribute of the type, typed and normalised
    mapped: tuple[str, ...]  # the attributes the source maps (the others are null)
    problems: Column  # why the row cannot be typed (quarantine's reason), or null
    issues: Column  # ISSUES_TYPE: the attributes whose present value could not be normalised, or null

    def columns(self) -> list[Column]:
        """The silver columns of the record, named and in order: keys, links, attributes, issues."""
        keys = [
            self.record_id.alias(RECORD_ID),
            F.lit(self.source).alias(SOURCE),
            self.source_key.alias(SOURCE_KEY),
        ]
        links = [target.alias(link_column(role)) for role, target in self.links.items()]
        values = [value.alias(attr) for attr, value in self.attributes.items()]
        return [*keys, *links, *values, self.issues.alias(ISSUES_COL)]


def conform(name: str, source: Source, model: Model, default_region: str) -> Conformed:
    """Source `name`'s rows read through its mapping: typed, normalised, keyed, linked, checked."""
    type_name = source.target.name
    specs = model.attributes_of(type_name)
    messages = _missing_required(source)
    values: dict[str, Column] = {}
    issues: list[Column] = []
    region = record_region(source, specs)
    for attr, mapping in source.column_mappings().items():  # in mapping order, as reasons read
        spec = specs[attr]
        raw = raw_value(mapping)
        typed = typed_value(raw, spec, mapping)
        value = typed
        if spec.type == "string":
            normalised = checked(spec.normalize, default_region, region)(typed)
            value = normalised.value
            if normalised.issue is not None:
                issues.append(F.when(normalised.issue.isNotNull(), F.struct(
                    F.lit(attr).alias(ISSUE_ATTRIBUTE), normalised.issue.alias(ISSUE_REASON))))
        values[attr] = value.cast(SPARK_TYPES[spec.type])
        messages += type_problems(attr, spec, raw, typed)
    attributes = {
        attr: values.get(attr, F.lit(None).cast(SPARK_TYPES[spec.type])) for attr, spec in specs.items()
    }
    problems = F.array_compact(F.array(*messages))
    return Conformed(
        source=name,
        record_id=record_id(name, source.key),
        source_key=source_key(source.key),
        links={role: _link_target(source, role) for role in model.link_roles(type_name)},
        attributes=attributes,
        mapped=tuple(values),
        problems=F.when(F.size(problems) > 0, F.array_join(problems, "; ")),
        issues=issue_list(issues),
    )


def record_region(source: Source, specs: dict[str, Attribute]) -> Column | None:
    """The record's own ISO country (its country-normalised attribute), the region of its phone numbers."""
    countries = [(attr, mapping) for attr, mapping in source.column_mappings().items()
                 if specs[attr].type == "string" and specs[attr].normalize == "country"]
    if len(countries) != 1:
        return None  # none mapped, or two (home and shipping?): the workspace default decides
    attr, mapping = countries[0]
    return country(typed_value(raw_value(mapping), specs[attr], mapping))


def issue_list(issues: list[Column]) -> Column:
    """The row's issues (null entries dropped) as ISSUES_TYPE; null when it has none, so clean rows hash as before."""
    if not issues:
        return F.lit(None).cast(ISSUES_TYPE)
    found = F.array_compact(F.array(*issues))
    return F.when(F.size(found) > 0, found).cast(ISSUES_TYPE)


def conform_source(
    bronze: DataFrame, name: str, source: Source, model: Model, default_region: str
) -> DataFrame:
    """Bronze rows of one source as silver rows (with the batch, time and file they landed in)."""
    row = conform(name, source, model, default_region)
    return bronze.select(*row.columns(), F.col(BATCH_COL), F.col(INGESTED_AT_COL), F.col(FILE_COL))


def _link_target(source: Source, role: str) -> Column:
    """The record_id a row's link points at by key; null when the source links otherwise (or not)."""
    link = source.links.get(role)
    if link is not None and link.source is not None:
        return record_id(link.source, link.key_columns)
    return F.lit(None).cast("string")


def bronze_column_name(name: str) -> str:
    """The bronze name of a source column: Delta-safe, otherwise as the source wrote it."""
    cleaned = _INVALID_COLUMN_CHARS.sub("_", name.strip().lstrip("\ufeff"))
    return cleaned or "_blank"


def source_column(name: str) -> Column:
    """A (possibly nested, dotted) source column, addressed by its bronze name."""
    parts = [bronze_column_name(part) for part in name.split(".")]
    return F.col(".".join(f"`{part}`" for part in parts))


def raw_value(mapping: ColumnMapping) -> Column:
    """The untyped value a mapping reads, with the declared default when the source gives none."""
    value = source_column(mapping.column) if mapping.column else F.expr(mapping.expr or "")
    if mapping.default is not None:
        value = F.coalesce(value, F.lit(mapping.default))
    return value


def typed_value(raw: Column, attribute: Attribute, mapping: ColumnMapping) -> Column:
    """The raw value in the attribute's canonical type; null where it cannot be read as one."""
    target = SPARK_TYPES[attribute.type]
    if attribute.type in ("date", "timestamp") and mapping.format:
        parsed = F.try_to_timestamp(raw.cast("string"), F.lit(mapping.format))
        return F.to_date(parsed) if attribute.type == "date" else parsed
    if attribute.type == "string":
        return raw.cast("string")
    if attribute.type == "boolean":
        return F.lower(F.trim(raw.cast("string"))).try_cast(target)
    return F.trim(raw.cast("string")).try_cast(target) if attribute.type in (
        "long", "double", "decimal"
    ) else raw.try_cast(target)


def _present(raw: Column) -> Column:
    return raw.isNotNull() & (F.trim(raw.cast("string")) != "")


def _missing_required(source: Source) -> list[Column]:
    """A message per required column the row leaves empty (null where it is there)."""
    return [
        F.when(~_present(source_column(col)), F.lit(f"missing required field '{col}'"))
        for col in source.required_columns()
    ]


def type_problems(attr: str, attribute: Attribute, raw: Column, typed: Column) -> list[Column]:
    """Messages for a value that does not read as its type or lies outside its range (text never fails)."""
    if attribute.type == "string":
        return []
    shown = F.substring(raw.cast("string"), 1, 60)
    not_typed = F.when(
        _present(raw) & typed.isNull(),
        F.concat(F.lit(f"{attr}: '"), shown, F.lit(f"' is not a valid {attribute.type}")),
    )
    return [not_typed, *range_problems(attr, attribute, typed, shown)]


def range_problems(attr: str, attribute: Attribute, typed: Column, shown: Column) -> list[Column]:
    """Messages for a typed value outside the attribute's declared min/max (null when inside)."""
    checks = []
    for bound, word, outside in (
        (attribute.min, "below the minimum", lambda v, b: v < b),
        (attribute.max, "above the maximum", lambda v, b: v > b),
    ):
        if bound is None:
            continue
        checks.append(
            F.when(
                outside(typed, bound_value(bound, attribute.type)),
                F.concat(F.lit(f"{attr}: '"), shown, F.lit(f"' is {word} {bound}")),
            )
        )
    return checks


def bound_value(bound: Bound, kind: str) -> Column:
    """A declared range bound as a Spark value of the attribute's type ('now' is the clock)."""
    if bound == "now":
        return F.current_date() if kind == "date" else F.current_timestamp()
    return F.lit(str(bound) if isinstance(bound, str) else bound).cast(SPARK_TYPES[kind])


def missing_columns(df: DataFrame, columns: list[str]) -> list[str]:
    """Source columns (dotted paths allowed) that a DataFrame does not have."""
    missing = []
    for name in columns:
        head, *rest = name.split(".")
        if bronze_column_name(head) not in df.columns:
            missing.append(name)
            continue
        if rest:
            try:
                df.select(source_column(name))
            except Exception:  # noqa: BLE001 - Spark raises AnalysisException for a missing field
                missing.append(name)
    return missing


def referenced_columns(source: Source) -> list[str]:
    """Every source column the declaration names directly (keys, required, mappings, links)."""
    names = [*source.required_columns()]
    names += [m.column for m in source.column_mappings().values() if m.column]
    for link in source.links.values():
        names += link.key_columns
        names += list((link.match or {}).values())
    return list(dict.fromkeys(names))


def source_key(columns: list[str]) -> Column:
    """The source key of a row: its key columns as text, joined with '|'."""
    return F.concat_ws(KEY_SEPARATOR, *[F.trim(source_column(c).cast("string")) for c in columns])


def record_id(source_name: str, key_columns: list[str]) -> Column:
    """'<source>:<key>', the id of a source record everywhere in the lake; null if a key part is."""
    parts = [source_column(c) for c in key_columns]
    all_present = F.lit(True)
    for part in parts:
        all_present = all_present & _present(part)
    return F.when(all_present, F.concat(F.lit(f"{source_name}:"), source_key(key_columns)))
