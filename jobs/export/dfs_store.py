"""An export's container through ADLS Gen2's DFS endpoint (azure-storage-file-datalake), the production path.

With a hierarchical namespace a directory rename is one atomic operation, so publishing renames the
staging directory to its final name: readers see the whole export or none of it.
"""

from __future__ import annotations

from typing import BinaryIO

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.filedatalake import FileSystemClient

from jobs.export.store import CHECKSUM, StoredFile


class DfsStore:
    """ExportStore on an ADLS Gen2 file system client."""

    def __init__(self, file_system: FileSystemClient):
        self.file_system = file_system

    def put(self, path: str, data: BinaryIO | bytes, sha256: str) -> None:
        """Create the file (and its parent directories), upload in chunks, flush, with its checksum as metadata."""
        self.file_system.get_file_client(path).upload_data(data, overwrite=True, metadata={CHECKSUM: sha256})

    def read(self, path: str) -> bytes | None:
        try:
            return self.file_system.get_file_client(path).download_file().readall()
        except ResourceNotFoundError:
            return None

    def files(self, prefix: str, checksums: bool = True) -> list[StoredFile]:
        """Every file under the directory; list_paths gives no metadata, so each file's properties are read (checksums)."""
        try:
            paths = [p for p in self.file_system.get_paths(path=prefix, recursive=True) if not p.is_directory]
        except ResourceNotFoundError:
            return []
        found = []
        for item in paths:
            metadata = self.file_system.get_file_client(item.name).get_file_properties().metadata if checksums else {}
            found.append(StoredFile(item.name, item.content_length or 0, (metadata or {}).get(CHECKSUM),
                                    item.last_modified))
        return found

    def publish(self, staging: str, final: str) -> None:
        """Rename staging to final (whose parent, the export's folder, holds `_staging/`): atomic on ADLS Gen2."""
        directory = self.file_system.get_directory_client(staging)
        directory.rename_directory(f"{self.file_system.file_system_name}/{final}")

    def delete(self, prefix: str) -> None:
        try:
            self.file_system.get_directory_client(prefix).delete_directory()
        except ResourceNotFoundError:
            return
