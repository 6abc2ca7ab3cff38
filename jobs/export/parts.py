"""A table's record batches turned into the files of one export format, in a local work folder, part by part.

Parquet and CSV are cut into parts of at most PART_ROWS rows, each written, handed on (to be uploaded)
and deleted before the next, so disk and memory hold one part. Delta is written by delta-rs from the
stream of batches (a RecordBatchReader) into one local table whose files are then handed on.
CSV cannot hold lists or structs: those columns are written as JSON text.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import deltalake
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from schemas.exports import ExportFormat

PART_ROWS = 1_000_000
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class LocalFile:
    """A written file: where it is on disk, its name in the table's folder, its size and SHA-256."""

    path: Path
    name: str
    size: int
    sha256: str


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _local(path: Path, name: str) -> LocalFile:
    return LocalFile(path, name, path.stat().st_size, sha256_of(path))


def csv_ready(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Lists and structs as JSON text (CSV has no nested values); other columns unchanged."""
    nested = [i for i, f in enumerate(batch.schema) if pa.types.is_nested(f.type)]
    for i in nested:
        text = [None if v is None else json.dumps(v, default=str, sort_keys=True) for v in batch.column(i).to_pylist()]
        batch = batch.set_column(i, batch.schema.field(i).name, pa.array(text, pa.string()))
    return batch


def _open(path: Path, fmt: ExportFormat, schema: pa.Schema) -> pq.ParquetWriter | pacsv.CSVWriter:
    if fmt == "parquet":
        return pq.ParquetWriter(path, schema)
    return pacsv.CSVWriter(path, csv_ready(pa.RecordBatch.from_pylist([], schema)).schema)


def _slices(batches: Iterable[pa.RecordBatch], part_rows: int) -> Iterator[tuple[int, pa.RecordBatch]]:
    """(part number, rows of that part) with every part but the last exactly part_rows rows."""
    part, room = 0, part_rows
    for batch in batches:
        offset = 0
        while offset < batch.num_rows:
            if room == 0:
                part, room = part + 1, part_rows
            piece = batch.slice(offset, room)
            offset, room = offset + piece.num_rows, room - piece.num_rows
            yield part, piece


def write_parts(batches: Iterable[pa.RecordBatch], schema: pa.Schema, fmt: ExportFormat, folder: Path,
                part_rows: int = PART_ROWS) -> Iterator[LocalFile]:
    """The table's files in the format: each is yielded once written and deleted when the caller moves on."""
    if fmt == "delta":
        yield from _delta_files(batches, schema, folder)
        return
    current, writer, path = -1, None, folder / f"part-00000.{fmt}"
    for part, piece in _slices(batches, part_rows):
        if part != current:
            if writer is not None:
                writer.close()
                yield from _handed_on(path)
            current, path = part, folder / f"part-{part:05d}.{fmt}"
            writer = _open(path, fmt, schema)
        writer.write_batch(csv_ready(piece) if fmt == "csv" else piece)
    writer = writer or _open(path, fmt, schema)  # an empty table still gets one (empty) part with its columns
    writer.close()
    yield from _handed_on(path)


def _handed_on(path: Path) -> Iterator[LocalFile]:
    yield _local(path, path.name)
    path.unlink()


def _pulled_apart(batches: Iterable[pa.RecordBatch], ahead: int = 2) -> Iterator[pa.RecordBatch]:
    """The batches produced on a thread of their own, at most `ahead` waiting: delta-rs pulls a writer's input
    on its runtime's threads, where reading the source (delta-rs again) would start a runtime in a runtime."""
    handoff: queue.Queue = queue.Queue(maxsize=ahead)
    done = object()

    def produce() -> None:
        try:
            for batch in batches:
                handoff.put(batch)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            handoff.put(exc)
        handoff.put(done)

    threading.Thread(target=produce, daemon=True, name="export-source").start()
    while (item := handoff.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


def _delta_files(batches: Iterable[pa.RecordBatch], schema: pa.Schema, folder: Path) -> Iterator[LocalFile]:
    """A local Delta table written from the stream, then each of its files (log included) by relative name."""
    table = folder / "delta"
    stream = pa.RecordBatchReader.from_batches(schema, _pulled_apart(batches))
    deltalake.write_deltalake(str(table), stream, mode="overwrite")
    for root, _, names in os.walk(table):
        for name in sorted(names):
            path = Path(root) / name
            yield _local(path, path.relative_to(table).as_posix())
