"""Run an export plan: stage each table (or find it already staged), publish, then write the manifest last.

Readers never see a partial export: files are written under `_staging/<id>/`, which nobody reads; publishing
moves them to `<id>/` (DFS: one atomic directory rename; Blob: server-side copies, staging deleted after
the last one); the manifest, written after that, is the only thing that makes the export exist. A run
killed anywhere and started again completes with every table exactly once: a table whose record and
files (sizes and SHA-256) are complete in staging is not written again, a published export without its
manifest gets one, and a published one is left as it is. Staging of other ids that no run will finish is
removed first (jobs/export/stale.py).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from jobs.export.manifest import (
    LATEST, MANIFEST, STAGING, STAGING_RECORD, TABLE_RECORDS, ExportedFile, ExportedTable, Latest, Manifest, Staging,
    join,
)
from jobs.export.masks import mask_batch, masked_schema
from jobs.export.parts import PART_ROWS, write_parts
from jobs.export.plan import ExportPlan, PlannedTable
from jobs.export.stale import Removed, remove_stale_staging
from jobs.export.store import ExportStore

Hook = Callable[[str, str], None]  # (event, path) after each write: cleaned, staged, table, published, manifest, latest


@dataclass(frozen=True)
class ExportResult:
    """What a run did: the manifest, where it is, and which tables it staged, resumed, or found published."""

    manifest: Manifest
    manifest_path: str
    staged: list[str]
    resumed: list[str]
    already_published: bool = False
    cleaned: tuple[Removed, ...] = ()  # other ids' stale staging this run removed


def _put(store: ExportStore, path: str, data: bytes) -> None:
    store.put(path, data, hashlib.sha256(data).hexdigest())


def complete_record(store: ExportStore, root: str, planned: PlannedTable) -> ExportedTable | None:
    """The table's record under root if it and every file it lists are there, same size and SHA-256."""
    raw = store.read(join(root, TABLE_RECORDS, f"{planned.table.name}.json"))
    if raw is None:
        return None
    record = ExportedTable.model_validate_json(raw)
    if record.delta_version != planned.source.version:
        return None
    stored = {f.path: f for f in store.files(join(root, record.folder))}
    for file in record.files:
        found = stored.get(join(root, record.folder, file.name))
        if found is None or found.size != file.size or found.sha256 != file.sha256:
            return None
    return record


def _masked_batches(plan: ExportPlan, planned: PlannedTable, schema: pa.Schema, rows: list[int]
                    ) -> Iterator[pa.RecordBatch]:
    for batch in planned.source.batches():
        masked = mask_batch(batch, planned.masks, plan.allowed, schema)
        rows[0] += masked.num_rows
        yield masked


def stage_table(plan: ExportPlan, store: ExportStore, staging: str, planned: PlannedTable, hook: Hook,
                part_rows: int = PART_ROWS) -> ExportedTable:
    """Write one table's files under staging (leftovers of a killed run removed first), then its record."""
    folder = planned.table.name
    store.delete(join(staging, folder))
    schema = masked_schema(planned.source.schema(), planned.masks)
    rows, files = [0], []
    with tempfile.TemporaryDirectory(prefix="insights-export-") as work:
        for local in write_parts(_masked_batches(plan, planned, schema, rows), schema, plan.format, Path(work),
                                 part_rows):
            path = join(staging, folder, local.name)
            with local.path.open("rb") as handle:
                store.put(path, handle, local.sha256)
            files.append(ExportedFile(name=local.name, size=local.size, sha256=local.sha256))
            hook("staged", path)
    record = ExportedTable(table=planned.table.key, folder=folder, delta_version=planned.source.version,
                           rows=rows[0], files=files, masked_columns=planned.masked_columns)
    path = join(staging, TABLE_RECORDS, f"{folder}.json")
    _put(store, path, record.to_bytes())
    hook("table", path)
    return record


def run_export(plan: ExportPlan, store: ExportStore, hook: Hook | None = None,
               part_rows: int = PART_ROWS, now: datetime | None = None) -> ExportResult:
    """Remove stale staging, then stage, publish and write the manifest; a re-run resumes where a killed one stopped."""
    hook = hook or (lambda event, path: None)
    base = plan.destination.folder
    cleaned = tuple(remove_stale_staging(store, base, plan.export_id, now, hook))
    final, staging = join(base, plan.export_id), join(base, STAGING, plan.export_id)
    manifest_path = join(final, MANIFEST)
    existing = store.read(manifest_path)
    if existing is not None:  # published: at most the pointer to it is missing (a run killed just before it)
        point_latest(store, base, manifest_path, hook)
        return ExportResult(Manifest.model_validate_json(existing), manifest_path, [], [], True, cleaned)
    published = [complete_record(store, final, p) for p in plan.tables]
    staged, resumed = [], []
    if not all(published):  # not (completely) published yet: stage what is missing, then publish
        if store.read(join(staging, STAGING_RECORD)) is None:
            _put(store, join(staging, STAGING_RECORD), Staging(export=plan.name, export_id=plan.export_id,
                                                                started_at=now or datetime.now(UTC)).to_bytes())
        records = []
        for planned in plan.tables:
            record = complete_record(store, staging, planned)
            (resumed if record else staged).append(planned.table.key)
            records.append(record or stage_table(plan, store, staging, planned, hook, part_rows))
        store.delete(final)  # leftovers of a publish that was killed (Blob copies); a DFS rename needs it absent
        store.publish(staging, final)
        hook("published", final)
        published = records
    manifest = Manifest(export=plan.name, export_id=plan.export_id, format=plan.format,
                        destination=plan.destination.uri, exported_at=datetime.now(UTC), grants=plan.grants,
                        tables=[r for r in published if r is not None])
    _put(store, manifest_path, manifest.to_bytes())
    hook("manifest", manifest_path)
    point_latest(store, base, manifest_path, hook)
    return ExportResult(manifest, manifest_path, staged, resumed, cleaned=cleaned)


def point_latest(store: ExportStore, base: str, manifest_path: str, hook: Hook) -> None:
    """_latest.json names this export's manifest (written only after the manifest exists)."""
    raw = store.read(join(base, LATEST))
    if raw is not None and Latest.model_validate_json(raw).manifest == manifest_path:
        return
    export_id = manifest_path.split("/")[-2]
    _put(store, join(base, LATEST), Latest(export_id=export_id, manifest=manifest_path).to_bytes())
    hook("latest", join(base, LATEST))
