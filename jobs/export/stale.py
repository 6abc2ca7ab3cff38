"""Staging that no export will finish: removed by the next export to the same folder, and logged.

An export killed and never run again (or run again with other table versions, hence another id) leaves
`_staging/<id>/` behind. When an export starts it removes each other id's staging that is
- older than STALE_AFTER (its newest file unchanged that long), or
- superseded: it was started by an export of the same name, and the export `_latest.json` names (of that
  name) completed after the staging's newest file was written, with no write since for SUPERSEDED_IDLE
  (so a run still writing beside us is left alone).
Readers never see any of it: they trust manifests, and staging is never published by anyone but its own run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from jobs.export.manifest import LATEST, STAGING, STAGING_RECORD, Latest, Manifest, Staging, join
from jobs.export.store import ExportStore, StoredFile

STALE_AFTER = timedelta(hours=24)
SUPERSEDED_IDLE = timedelta(minutes=10)
LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Removed:
    """One staging folder removed: where, why, and how many files it held."""

    path: str
    reason: str
    files: int


def _staged(store: ExportStore, base: str) -> dict[str, list[StoredFile]]:
    """Export id -> its staged files (sizes and times, no checksums)."""
    root = join(base, STAGING) + "/"
    found: dict[str, list[StoredFile]] = {}
    for item in store.files(join(base, STAGING), checksums=False):
        export_id = item.path.removeprefix(root).split("/", 1)[0]
        found.setdefault(export_id, []).append(item)
    return found


def _read(store: ExportStore, path: str, record: type) -> object | None:
    raw = store.read(path)
    if raw is None:
        return None
    try:
        return record.model_validate_json(raw)
    except ValidationError:
        return None


def _completed(store: ExportStore, base: str) -> Manifest | None:
    """The manifest `_latest.json` names, if it and the manifest are readable."""
    latest = _read(store, join(base, LATEST), Latest)
    return _read(store, latest.manifest, Manifest) if isinstance(latest, Latest) else None


def _utc(moment: datetime) -> datetime:
    """The SDKs give Last-Modified with a zone (Blob) or as naive UTC (DFS Path - List)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stale_reason(files: list[StoredFile], started: Staging | None, completed: Manifest | None,
                 now: datetime) -> str | None:
    """Why this staging is stale (None: it may still be finished by its own run)."""
    times = [_utc(f.modified) for f in files if f.modified is not None]
    if not times:
        return None
    idle = now - max(times)
    if idle > STALE_AFTER:
        return f"unchanged for {idle.total_seconds() / 3600:.0f} h (over {STALE_AFTER.total_seconds() / 3600:.0f} h)"
    if (started is not None and completed is not None and completed.export == started.export
            and completed.exported_at > max(times) and idle > SUPERSEDED_IDLE):
        return f"superseded by export {completed.export_id} of '{completed.export}', completed {completed.exported_at}"
    return None


def remove_stale_staging(store: ExportStore, base: str, current_id: str, now: datetime | None = None,
                         hook: Callable[[str, str], None] | None = None) -> list[Removed]:
    """Remove other ids' stale staging under base (this export's own is kept), logging each; what was removed."""
    now = now or datetime.now(UTC)
    staged = {k: v for k, v in _staged(store, base).items() if k != current_id}
    if not staged:
        return []
    completed = _completed(store, base)
    removed = []
    for export_id, files in sorted(staged.items()):
        folder = join(base, STAGING, export_id)
        started = _read(store, join(folder, STAGING_RECORD), Staging)
        reason = stale_reason(files, started if isinstance(started, Staging) else None, completed, now)
        if reason is None:
            continue
        store.delete(folder)
        LOG.info("export: removed stale staging %s (%d files): %s", folder, len(files), reason)
        removed.append(Removed(folder, reason, len(files)))
        if hook:
            hook("cleaned", folder)
    return removed
