"""What an export needs of a container, the same for ADLS Gen2 (DFS) and Blob: put, list, read, publish, delete.

Paths are relative to the container. Each file is stored with its SHA-256 in the blob's metadata, so a
resumed export can tell a complete staged file from a partial one without downloading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

CHECKSUM = "sha256"  # metadata key of every file an export writes


@dataclass(frozen=True)
class StoredFile:
    """A file in the container: its path, size in bytes, the SHA-256 recorded when it was written, when it was."""

    path: str
    size: int
    sha256: str | None
    modified: datetime | None = None  # the service's Last-Modified


class ExportStore(Protocol):
    """A container an export writes into."""

    def put(self, path: str, data: BinaryIO | bytes, sha256: str) -> None:
        """Write (or overwrite) one file, recording its checksum."""

    def read(self, path: str) -> bytes | None:
        """The file's bytes, None if it is not there."""

    def files(self, prefix: str, checksums: bool = True) -> list[StoredFile]:
        """Every file under the prefix (a folder), with its size, last change and (checksums) its SHA-256."""

    def publish(self, staging: str, final: str) -> None:
        """Make the staged folder's files visible under final (DFS: rename; Blob: copy, then delete staging)."""

    def delete(self, prefix: str) -> None:
        """Remove every file under the prefix."""
