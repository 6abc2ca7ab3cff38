"""What Power BI needs of a lake's gold tables, checked with delta-rs and pandas (no Spark).

Power BI's DeltaLake.Table reads reader protocol 1 and UTC timestamps; a star-schema model needs
each dimension key unique, each fact's grain unique and each reference found in its dimension,
and loads only scalar columns. Used by tests/integration/test_powerbi_lake.py on the example lake
and by tests/unit/test_powerbi_lake_checks.py on small lakes built to break each rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import deltalake
import pandas as pd
import pyarrow as pa

from schemas.star_schema import Dimension, Fact, Loaded, StarSchema
from schemas.tables import GOLD


@dataclass
class LakeReport:
    """Every broken rule, each naming its table and column; tables skipped because they are pending."""

    problems: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def naive_timestamps(schema: pa.Schema) -> list[str]:
    """Columns (dotted into structs and lists) holding timestamps without a time zone."""
    found: list[str] = []

    def visit(name: str, kind: pa.DataType) -> None:
        if pa.types.is_timestamp(kind):
            if kind.tz is None:
                found.append(name)
        elif pa.types.is_struct(kind):
            for i in range(kind.num_fields):
                visit(f"{name}.{kind.field(i).name}", kind.field(i).type)
        elif pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
            visit(f"{name}[]", kind.value_type)
        elif pa.types.is_map(kind):
            visit(f"{name}.key", kind.key_type)
            visit(f"{name}.value", kind.item_type)

    for column in schema:
        visit(column.name, column.type)
    return found


def arrow_schema(table: deltalake.DeltaTable) -> pa.Schema:
    """The table's schema as pyarrow, the types DeltaLake.Table will see."""
    return pa.schema(table.schema().to_arrow())


def table_problems(name: str, table: deltalake.DeltaTable) -> list[str]:
    """Reader protocol 1 and only time-zoned timestamps, as Power BI reads them."""
    problems = []
    reader = table.protocol().min_reader_version
    if reader != 1:
        problems.append(f"{name}: reader protocol {reader} (Power BI needs 1; features "
                        f"{table.protocol().reader_features})")
    problems += [f"{name}: column {c} is a timestamp without time zone" for c in naive_timestamps(arrow_schema(table))]
    return problems


def gold_tables_in(lake: Path) -> dict[str, Path]:
    """Every Delta table under <lake>/gold by its name."""
    return {log.parent.name: log.parent for log in sorted((lake / GOLD).glob("*/_delta_log"))}


def loaded_column_problems(name: str, schema: pa.Schema, shape: Loaded) -> list[str]:
    """After the query's reshaping every column is scalar, and what it reshapes is really there."""
    drops, joins, prefixes = set(shape.drop_columns), set(shape.join_lists), tuple(shape.drop_prefixes)
    types = {f.name: f.type for f in schema}
    problems = [f"{name}: declared column {c} is missing" for c in sorted(drops | joins) if c not in types]
    problems += [f"{name}: join_lists column {c} is not a list of text" for c in sorted(joins)
                 if c in types and not (pa.types.is_list(types[c]) and pa.types.is_string(types[c].value_type))]
    kept = [c for c in types if c not in drops | joins and not (prefixes and c.startswith(prefixes))]
    problems += [f"{name}: column {c} is nested ({types[c]}); Power BI cannot load it"
                 for c in kept if pa.types.is_nested(types[c])]
    return problems


def _unique(name: str, frame: pd.DataFrame, columns: list[str], what: str) -> list[str]:
    duplicated = frame[frame.duplicated(subset=columns, keep=False)]
    if duplicated.empty:
        return []
    sample = duplicated[columns].head(3).to_dict("records")
    return [f"{name}: {what} {columns} is not unique: {len(duplicated)} rows share a value, e.g. {sample}"]


def star_problems(lake: Path, star: StarSchema) -> LakeReport:
    """Each dimension key unique and not null, each grain unique, each reference found in its dimension."""
    report = LakeReport()
    tables = gold_tables_in(lake)
    frames: dict[str, pd.DataFrame] = {}
    for star_table in star.tables():
        name = star_table.table
        if name not in tables:
            where = f"pending on branch {star_table.pending}" if star_table.pending else "missing"
            (report.skipped if star_table.pending else report.problems).append(f"gold/{name}: {where}")
            continue
        delta = deltalake.DeltaTable(str(tables[name]))
        schema = arrow_schema(delta)
        report.problems += loaded_column_problems(name, schema, star_table)
        columns = [star_table.key] if isinstance(star_table, Dimension) else list(star_table.grain)
        references = star_table.references if isinstance(star_table, Fact) else []
        columns += [r.column for r in references if r.column not in columns]
        missing = [c for c in columns if c not in schema.names]
        if missing:
            report.problems.append(f"{name}: the star schema names columns it does not have: {missing}")
            continue
        frames[name] = frame = delta.to_pandas(columns=columns)
        if isinstance(star_table, Dimension):
            nulls = int(frame[star_table.key].isna().sum())
            report.problems += [f"{name}: key {star_table.key} is null in {nulls} rows"] if nulls else []
            report.problems += _unique(name, frame, [star_table.key], "key")
        else:
            report.problems += _unique(name, frame, list(star_table.grain), "grain")
    report.problems += reference_problems(star, frames)
    return report


def reference_problems(star: StarSchema, frames: dict[str, pd.DataFrame]) -> list[str]:
    """Fact keys that find no row in their dimension (a blank member in Power BI)."""
    problems = []
    for fact, ref, dimension in star.relationships():
        if ref.history or fact.table not in frames or dimension.table not in frames:
            continue
        values = frames[fact.table][ref.column].dropna()
        orphans = values[~values.isin(frames[dimension.table][dimension.key])]
        if not orphans.empty:
            problems.append(f"{fact.table}.{ref.column}: {orphans.nunique()} values not in "
                            f"{dimension.table}.{dimension.key}, e.g. {sorted(orphans.unique())[:3]}")
    return problems
