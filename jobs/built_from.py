"""What a table was built from, kept in the commit that wrote it: the one skip-if-unchanged record.

A step records the Delta versions of the tables it read and the definitions it used (hashes or
small JSON values). When the next run finds the same record on the table's newest build, the
step has nothing to do. The record commits atomically with the rows, so a crashed run leaves
the previous record and the next run simply redoes the work.

Inputs are keyed by the table's name under the lake root ('silver/purchase', as the catalogue
names tables), never by its path, so a lake moved, copied or read through another URI keeps its
records. Records from before that keyed some inputs by absolute path: those under the lake's
root are read by name (`BuiltFrom.named`); any other old key differs from every new one, and
`differences` says so.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from jobs.delta import table_version
from schemas.tables import Lake

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

    def named(self, lake: Lake) -> BuiltFrom:
        """The same record with old inputs keyed by a path under this lake's root keyed by name."""
        inputs = {lake.name_of(key) or key: version for key, version in self.inputs.items()}
        return BuiltFrom(inputs, self.definitions, self.summary)

    def differences(self, previous: BuiltFrom | None) -> list[str]:
        """What differs from a previous record, in words: each input and definition that moved."""
        if previous is None:
            return ["no earlier record"]
        said = _input_differences(previous.inputs, self.inputs)
        return said + [f"definition {key} changed" for key in sorted(set(previous.definitions) | set(self.definitions))
                       if previous.definitions.get(key) != self.definitions.get(key)]


def _is_name(key: str) -> bool:
    """Whether an input key is a table name '<layer>/<name>' (not a path, URI or label of an old record)."""
    return key.count("/") == 1 and not key.startswith("/") and ":" not in key


def _input_differences(before: dict[str, int | None], now: dict[str, int | None]) -> list[str]:
    """Each input read now or then whose version differs, and the old keys no name matches."""
    old_keys = {key for key in before if not _is_name(key)}
    said, matched = [], set()
    for name in sorted(now.keys() | before.keys() - old_keys):
        if name not in before:
            was = next((key for key in sorted(old_keys) if key.endswith("/" + name)), None)
            matched.add(was)
            said.append(f"input {name} is new" if was is None else
                        f"input {name} was recorded as {was}, a path not under this lake's root (moved or copied)")
        elif name not in now:
            said.append(f"input {name} is no longer read")
        elif before[name] != now[name]:
            said.append(f"input {name} at version {before[name]}, now {now[name]}"
                        if None not in (before[name], now[name]) else
                        f"input {name} {'appeared' if before[name] is None else 'vanished'} since the last build")
    unknown = sorted(old_keys - matched)
    if unknown:
        said.append(f"the last build keyed inputs as {', '.join(unknown)} (before inputs were named <layer>/<name>)")
    return said


def input_versions(lake: Lake, paths: Iterable[str], version_of: Callable[[str], int | None]) -> dict[str, int | None]:
    """Each input table's Delta version (None: not written yet), keyed by its name under the lake root."""
    versions = {}
    for path in paths:
        name = lake.name_of(path)
        if name is None:
            raise ValueError(f"input table {path} is not under the lake root {lake.root}")
        versions[name] = version_of(path)
    return versions


def built_from(spark: SparkSession, lake: Lake, paths: Iterable[str], **definitions: Any) -> BuiltFrom:
    """The record of a build about to read these tables of the lake with these definitions."""
    return BuiltFrom(input_versions(lake, paths, lambda path: table_version(spark, path)), definitions)


def definition_hash(value: Any) -> str:
    """A short stable hash of a definition (a pydantic model's JSON, a dict, a file's text)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    text = value if isinstance(value, str | bytes) else json.dumps(value, sort_keys=True, default=str)
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:16]


def last_built_from(spark: SparkSession, path: str, lake: Lake | None = None) -> BuiltFrom | None:
    """The record of the newest commit of a table that has one, or None (old path keys named by lake's root)."""
    if not DeltaTable.isDeltaTable(spark, path):
        return None
    for row in DeltaTable.forPath(spark, path).history(HISTORY_DEPTH).select("userMetadata").collect():
        record = _record(row["userMetadata"])
        if record is not None:
            return record if lake is None else record.named(lake)
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
