"""An exported table's files: exact parts, an empty table still gets its columns, CSV nests as JSON, checksums true."""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from jobs.export.parts import write_parts

SCHEMA = pa.schema([("id", pa.int64()), ("tags", pa.list_(pa.string()))])


def batches(*sizes: int):
    start = 0
    for size in sizes:
        yield pa.RecordBatch.from_pylist([{"id": i, "tags": [f"t{i}"]} for i in range(start, start + size)], SCHEMA)
        start += size


def collect(parts):
    """Each part's name, its rows read back while it still exists, and whether its checksum is true."""
    found = []
    for part in parts:
        data = part.path.read_bytes()
        table = pq.read_table(part.path) if part.name.endswith(".parquet") else pacsv.read_csv(part.path)
        found.append((part.name, table, hashlib.sha256(data).hexdigest() == part.sha256 and len(data) == part.size))
    return found


def test_parts_hold_at_most_part_rows_whatever_the_batches(tmp_path):
    found = collect(write_parts(batches(2, 5, 1), SCHEMA, "parquet", tmp_path, part_rows=3))
    assert [(name, t.num_rows, ok) for name, t, ok in found] == [
        ("part-00000.parquet", 3, True), ("part-00001.parquet", 3, True), ("part-00002.parquet", 2, True)]
    assert [r["id"] for _, t, _ in found for r in t.to_pylist()] == list(range(8))
    assert list(tmp_path.iterdir()) == [], "each part is deleted once handed on"


def test_an_empty_table_is_one_part_with_its_columns(tmp_path):
    ((name, table, ok),) = collect(write_parts(iter([]), SCHEMA, "parquet", tmp_path))
    assert (name, table.num_rows, table.schema.names, ok) == ("part-00000.parquet", 0, ["id", "tags"], True)


def test_csv_writes_lists_and_structs_as_json_text(tmp_path):
    ((name, table, ok),) = collect(write_parts(batches(2), SCHEMA, "csv", tmp_path))
    assert name == "part-00000.csv" and ok
    assert [json.loads(v) for v in table.column("tags").to_pylist()] == [["t0"], ["t1"]]
