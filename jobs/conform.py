"""Read model attributes out of raw source rows: mapping, typing, and why a value will not type.

Bronze uses `row_problems` to quarantine rows whose values cannot be read as the model's
types; silver uses `typed_attributes` on the rows that passed. Both read the same mapping,
so what bronze accepts, silver can type.
"""

from __future__ import annotations

import re

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from schemas.model import Attribute, Bound, Model
from schemas.sources import ColumnMapping, Source
from jobs.spark_types import SPARK_TYPES
from schemas.tables import KEY_SEPARATOR

# Characters Delta refuses in column names unless column mapping is on (which Power BI cannot read).
_INVALID_COLUMN_CHARS = re.compile(r"[ ,;{}()\n\t=]")


class SourceError(ValueError):
    """A source cannot be read as declared; the message names the source, file and column."""


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


def mapped_columns(source: Source, model: Model) -> dict[str, tuple[Column, Column]]:
    """attribute -> (raw value, typed value) for every attribute the source maps."""
    attributes = model.attributes_of(source.target.name)
    result = {}
    for attr, mapping in source.column_mappings().items():
        raw = raw_value(mapping)
        result[attr] = (raw, typed_value(raw, attributes[attr], mapping))
    return result


def typed_attributes(source: Source, model: Model) -> list[Column]:
    """Select list of the source's attributes, typed and named as the model names them."""
    return [typed.alias(attr) for attr, (_, typed) in mapped_columns(source, model).items()]


def _present(raw: Column) -> Column:
    return raw.isNotNull() & (F.trim(raw.cast("string")) != "")


def row_problems(source: Source, model: Model) -> Column:
    """Why a row cannot be conformed (missing required values, values of the wrong type), or null."""
    attributes = model.attributes_of(source.target.name)
    messages = [
        F.when(~_present(source_column(col)), F.lit(f"missing required field '{col}'"))
        for col in source.required_columns()
    ]
    for attr, (raw, typed) in mapped_columns(source, model).items():
        kind = attributes[attr].type
        if kind == "string":
            continue
        shown = F.substring(raw.cast("string"), 1, 60)
        messages.append(
            F.when(
                _present(raw) & typed.isNull(),
                F.concat(F.lit(f"{attr}: '"), shown, F.lit(f"' is not a valid {kind}")),
            )
        )
        messages += range_problems(attr, attributes[attr], typed, shown)
    problems = F.array_compact(F.array(*messages))
    return F.when(F.size(problems) > 0, F.array_join(problems, "; "))


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
