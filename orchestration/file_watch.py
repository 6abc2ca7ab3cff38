"""List a source folder cheaply, without Spark, so sensors can poll it every few seconds."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from jobs.files import matches_format
from schemas.sources import SourceFormat


@dataclass(frozen=True)
class WatchedFile:
    path: str
    modified: float


def list_new_files(location: str, fmt: SourceFormat, after: float) -> list[WatchedFile]:
    """Files of the format under location modified after a timestamp (seconds), oldest first."""
    files = _list_adls(location) if location.startswith("abfss://") else _list_local(location)
    matching = [f for f in files if f.modified > after and matches_format(f.path, fmt)]
    return sorted(matching, key=lambda f: (f.modified, f.path))


def _list_local(location: str) -> list[WatchedFile]:
    root = Path(location.removeprefix("file:"))
    if not root.exists():
        return []
    if root.is_file():
        return [WatchedFile(str(root), root.stat().st_mtime)]
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            found.append(WatchedFile(str(path), path.stat().st_mtime))
    return found


def _list_adls(location: str) -> list[WatchedFile]:
    """abfss://<filesystem>@<account>.dfs.core.windows.net/<path>, with the environment's credentials."""
    from azure.storage.filedatalake import DataLakeServiceClient

    from schemas.environment import azure_credentials

    url = urlparse(location)
    file_system, account_host = url.netloc.split("@", 1)
    service = DataLakeServiceClient(f"https://{account_host}", credential=azure_credentials().token_credential())
    client = service.get_file_system_client(file_system)
    return [
        WatchedFile(f"abfss://{url.netloc}/{p.name}", p.last_modified.timestamp())
        for p in client.get_paths(path=url.path.lstrip("/"), recursive=True)
        if not p.is_directory
    ]
