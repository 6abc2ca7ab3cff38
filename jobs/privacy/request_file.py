"""Read a CSV of forget requests: a header naming the identifier kind, one person per row."""

from __future__ import annotations

import csv
from pathlib import Path

from jobs.privacy.forget_requests import KINDS, Ask


class RequestFileError(ValueError):
    """A request file that cannot be read: names the file, the row and what is wrong."""


def read_request_file(path: str | Path) -> list[Ask]:
    """One Ask per data row; the header's columns are identifier kinds, one filled per row."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        unknown = [h for h in header if h not in KINDS]
        if not header or unknown:
            raise RequestFileError(f"{path}, row 1: the header must name identifier kinds "
                                   f"({', '.join(KINDS)}); found {', '.join(map(repr, unknown or header)) or 'none'}")
        asks = [_ask(path, number, header, row) for number, row in enumerate(reader, start=2) if any(row)]
    if not asks:
        raise RequestFileError(f"{path}: no request after the header")
    return asks


def _ask(path: Path, number: int, header: list[str], row: list[str]) -> Ask:
    if len(row) != len(header):
        raise RequestFileError(f"{path}, row {number}: {len(row)} fields, the header has {len(header)}")
    given = [(kind, value.strip()) for kind, value in zip(header, row, strict=True) if value.strip()]
    if len(given) != 1:
        raise RequestFileError(f"{path}, row {number}: give exactly one of {', '.join(header)} "
                               f"(found {len(given)})")
    return Ask(*given[0])
