"""Which rows of a keyed table a rebuild really changes: the rows to upsert and the keys to delete.

A table rebuilt from its inputs is compared with what it holds by a hash of each row, so the
MERGE that follows touches only new, changed and vanished rows; a rebuild that changes nothing
writes nothing (no new Delta version). The table module runs the MERGE itself through
jobs/writes.py (so the commit names it as the writer); this module only plans it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from delta.tables import DeltaMergeBuilder, DeltaTable
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.built_from import BuiltFrom, unchanged
from jobs.delta import read_table
from schemas.tables import ROW_HASH

DELETE = "_delete"  # marks a merge source row whose key vanished
_OLD_HASH = "_old_hash"


def row_hash(columns: list[str]) -> Column:
    """sha256 of a row's values (JSON of the columns, so arrays and structs count too)."""
    return F.sha2(F.to_json(F.struct(*[F.col(c) for c in columns])), 256)


def with_row_hash(frame: DataFrame, ignore: tuple[str, ...] = ()) -> DataFrame:
    """The frame with _row_hash over every column except those ignored (e.g. updated_at)."""
    return frame.withColumn(ROW_HASH, row_hash([c for c in frame.columns if c not in ignore and c != ROW_HASH]))


def same_schema(new: DataFrame, old: DataFrame) -> bool:
    """Whether the two frames have the same columns with the same types (nullability aside)."""
    def shape(frame: DataFrame) -> list[tuple[str, str]]:
        return sorted((f.name, f.dataType.simpleString()) for f in frame.schema.fields)
    return shape(new) == shape(old)


@dataclass(frozen=True)
class RowChanges:
    """Rows to insert or update (with their _row_hash) and keys to delete; both materialised."""

    keys: tuple[str, ...]
    upserts: DataFrame
    deletes: DataFrame
    upserted: int
    deleted: int

    @property
    def empty(self) -> bool:
        return self.upserted == 0 and self.deleted == 0

    def merge_builder(self, columns: list[str]) -> Callable[[DeltaTable], DeltaMergeBuilder]:
        """The MERGE applying these changes to a table of these columns, for jobs.writes.merge."""
        source = self.upserts.withColumn(DELETE, F.lit(False)).unionByName(
            self.deletes.withColumn(DELETE, F.lit(True)), allowMissingColumns=True)
        on = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in self.keys)
        values = {f"`{c}`": f"s.`{c}`" for c in columns}

        def build(table: DeltaTable) -> DeltaMergeBuilder:
            return (table.alias("t").merge(source.alias("s"), on)
                    .whenMatchedDelete(condition=f"s.{DELETE}")
                    .whenMatchedUpdate(condition=f"NOT s.{DELETE}", set=values)
                    .whenNotMatchedInsert(condition=f"NOT s.{DELETE}", values=values))

        return build


def row_changes(new: DataFrame, old: DataFrame, keys: list[str]) -> RowChanges:
    """What turns old into new: rows whose hash is new or differs, and old keys new lacks.

    Both frames carry _row_hash; `new` may have columns `old`'s hash ignored (updated_at).
    """
    known = old.select(*keys, F.col(ROW_HASH).alias(_OLD_HASH))
    upserts = (new.join(known, keys, "left")
               .where(F.col(_OLD_HASH).isNull() | (F.col(_OLD_HASH) != F.col(ROW_HASH)))
               .drop(_OLD_HASH).localCheckpoint(eager=True))
    deletes = known.join(new.select(*keys), keys, "left_anti").select(*keys).localCheckpoint(eager=True)
    return RowChanges(tuple(keys), upserts, deletes, upserts.count(), deletes.count())


Mode = Literal["skipped", "full", "merge", "unchanged"]


@dataclass(frozen=True)
class RefreshPlan:
    """What a rebuild of a keyed table writes: everything (first build, new columns), changes, or nothing."""

    mode: Mode
    built: BuiltFrom
    full: DataFrame | None = None  # the whole table, when it is (re)written
    changes: RowChanges | None = None  # the rows a MERGE upserts and deletes

    @property
    def upserted(self) -> int:
        return self.changes.upserted if self.changes is not None else 0

    @property
    def deleted(self) -> int:
        return self.changes.deleted if self.changes is not None else 0


def plan_refresh(spark: SparkSession, path: str, built: BuiltFrom, rebuild: Callable[[], DataFrame],
                 keys: list[str]) -> RefreshPlan:
    """Skip when the table was built from these inputs; else rebuild and compare with the table.

    `rebuild` gives the table as it should be, with _row_hash. Nothing is computed when the
    inputs are those of the table's last build.
    """
    if unchanged(spark, path, built) is not None:
        return RefreshPlan("skipped", built)
    new, old = rebuild(), read_table(spark, path)
    if old is None or not same_schema(new, old):
        return RefreshPlan("full", built, full=new)
    changes = row_changes(new, old, keys)
    return RefreshPlan("unchanged" if changes.empty else "merge", built, changes=changes)
