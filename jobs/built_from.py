"""What a table was built from, kept in the commit that wrote it: the one skip-if-unchanged record.

A step records the Delta versions of the tables it read and the definitions it used (hashes or
small JSON values). When the next run finds the same record on the table's newest build, the
step has nothing to do. The record commits atomically with the rows, so a crashed run leaves
the previous record and the next run simply redoes the work.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from jobs.delta import table_version

HISTORY_DEPTH = 50  # commits searched for the newest record (other writers may commit in between)


def _canonical(value: Any) -> Any:
    """The JSON form of a value, so records compare equal after a round trip through the log."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


@dataclass(frozen=True)
class BuiltFrom:
    """Input table versions and definitions of one build; equal records mean equal outputs."""

    inputs: dict[str, int | None]
    definitions: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", _canonical(self.inputs))
        object.__setattr__(self, "definitions", _canonical(self.definitions))

    def with_summary(self, **summary: Any) -> BuiltFrom:
        """The same record, carrying what the build produced (shown when a later run skips)."""
        return BuiltFrom(self.inputs, self.definitions, _canonical(summary))

    def fingerprint(self) -> str:
        """sha256 of the inputs and definitions: one value to compare or to tag a model with."""
        text = json.dumps({"inputs": self.inputs, "definitions": self.definitions}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {"inputs": self.inputs, "definitions": self.definitions, "summary": self.summary}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuiltFrom:
        return cls(data.get("inputs") or {}, data.get("definitions") or {}, data.get("summary") or {})


def built_from(spark: SparkSession, tables: dict[str, str], **definitions: Any) -> BuiltFrom:
    """The record of a build about to read these tables (name -> path) with these definitions."""
    return BuiltFrom({name: table_version(spark, path) for name, path in tables.items()}, definitions)


def definition_hash(value: Any) -> str:
    """A short stable hash of a definition (a pydantic model's JSON, a dict, a file's text)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    text = value if isinstance(value, str | bytes) else json.dumps(value, sort_keys=True, default=str)
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:16]


def last_built_from(spark: SparkSession, path: str) -> BuiltFrom | None:
    """The record of the newest commit of a table that has one, or None."""
    if not DeltaTable.isDeltaTable(spark, path):
        return None
    for row in DeltaTable.forPath(spark, path).history(HISTORY_DEPTH).select("userMetadata").collect():
        record = _record(row["userMetadata"])
        if record is not None:
            return record
    return None


def unchanged(spark: SparkSession, path: str, now: BuiltFrom) -> BuiltFrom | None:
    """The table's last record when it equals now's (nothing to do), else None."""
    last = last_built_from(spark, path)
    return last if last is not None and last == now else None


def _record(text: str | None) -> BuiltFrom | None:
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    built = data.get("built_from") if isinstance(data, dict) else None
    return BuiltFrom.from_dict(built) if isinstance(built, dict) else None
