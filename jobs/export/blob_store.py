"""An export's container through the Blob endpoint (azure-storage-blob): Azure Storage without a hierarchical
namespace, and Azurite, which has no DFS endpoint.

Blob has no directory rename, so publishing copies each staged blob server-side (Copy Blob within the
account) and deletes the staging folder afterwards; readers trust only what a manifest, written after
the copies, lists.
"""

from __future__ import annotations

import time
from typing import BinaryIO

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import ContainerClient

from jobs.export.store import CHECKSUM, StoredFile

COPY_POLL_SECONDS = 0.2


class CopyFailed(RuntimeError):
    """A server-side copy ended in a state other than success; the export is not published."""


class BlobStore:
    """ExportStore on a Blob container client."""

    def __init__(self, container: ContainerClient):
        self.container = container

    def put(self, path: str, data: BinaryIO | bytes, sha256: str) -> None:
        """Upload one blob (the SDK sends large ones in blocks), overwriting, with its checksum as metadata."""
        self.container.upload_blob(path, data, overwrite=True, metadata={CHECKSUM: sha256})

    def read(self, path: str) -> bytes | None:
        try:
            return self.container.download_blob(path).readall()
        except ResourceNotFoundError:
            return None

    def files(self, prefix: str, checksums: bool = True) -> list[StoredFile]:
        start = prefix.rstrip("/") + "/" if prefix else ""
        include = ["metadata"] if checksums else None
        return [StoredFile(b.name, b.size, (b.metadata or {}).get(CHECKSUM), b.last_modified)
                for b in self.container.list_blobs(name_starts_with=start, include=include)]

    def publish(self, staging: str, final: str) -> None:
        """Copy every staged blob to final (checksum metadata travels with it), wait for each, then drop staging."""
        staged = self.files(staging)
        pending = []
        for item in staged:
            target = self.container.get_blob_client(final.rstrip("/") + item.path[len(staging.rstrip("/")):])
            target.start_copy_from_url(self.container.get_blob_client(item.path).url)
            pending.append(target)
        for target in pending:
            self._wait(target)
        self.delete(staging)

    def _wait(self, target) -> None:  # noqa: ANN001 - a BlobClient
        """Block until the copy into target finished; CopyFailed if it did not succeed."""
        while True:
            copy = target.get_blob_properties().copy
            if copy.status in (None, "success"):
                return
            if copy.status != "pending":
                raise CopyFailed(f"copy into {target.blob_name} ended '{copy.status}': {copy.status_description}")
            time.sleep(COPY_POLL_SECONDS)

    def delete(self, prefix: str) -> None:
        for item in self.files(prefix):
            self.container.delete_blob(item.path)
