"""What a source file should give, read by Python alone (csv and json modules, datetime, re).

For each record: valid (its bronze values as text, its silver values typed and normalised), or
broken (what quarantine must hold: the raw text, or the values as JSON when the record parsed
but cannot be typed; and the words its reason must contain). The rules are the workspace's
(tests/data/bad_input: id required, birth_date dd/MM/yyyy from 1900-01-01 to today, points a
long of at least 0) and docs/workspace.md's, written again here without our code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from tests.unit.bad_input_world import LINE, closes_every_quote, csv_records

MALFORMED_CSV = "malformed CSV row"
MALFORMED_JSON = "malformed JSON line"
NOT_UTF8 = "not valid UTF-8"
REPEATED = "appear more than once"
LONG = re.compile(r"[+-]?[0-9]+")
DATE = re.compile(r"[0-9]{2}/[0-9]{2}/[0-9]{4}")


@dataclass
class Expected:
    """A file's records as Python reads them."""

    good: list[dict] = field(default_factory=list)  # bronze values (text, None for empty) per valid record
    broken: list[tuple[str, object, set[str]]] = field(default_factory=list)  # ("raw"|"values", what, reason words)
    records: int = 0


def replaced(text: str) -> str:
    """Text read with bytes that were not UTF-8 (kept as surrogates) each replaced by U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def has_bad_bytes(text: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in text)


def long_problem(attr: str, text: str | None) -> str | None:
    """Why a text is no long of at least 0 (Spark trims spaces before the cast), or None."""
    if text is None or not text.strip(" "):
        return None
    value = text.strip(" ")
    if not LONG.fullmatch(value) or not -(2**63) <= int(value) < 2**63:
        return f"{attr}: '"
    return f"{attr}: '" if int(value) < 0 else None


def date_problem(text: str | None) -> str | None:
    if text is None or text == "":
        return None
    try:
        day = datetime.strptime(text, "%d/%m/%Y").date() if DATE.fullmatch(text) else None
    except ValueError:
        day = None
    return None if day is not None and date(1900, 1, 1) <= day <= date.today() else "birth_date: '"


def id_problem(value: str | None) -> str | None:
    return "missing required field 'id'" if value is None or not value.strip(" ") else None


def csv_expected(path: Path) -> Expected:
    """Each record of the file as Python's csv module reads it, valid or broken."""
    header, records = csv_records(path, errors="surrogateescape")
    unclosed_last = not closes_every_quote(path)
    out = Expected(records=len(records))
    for i, (fields, raw) in enumerate(records):
        bad_bytes = has_bad_bytes(raw)
        if len(fields) != len(header) or (unclosed_last and i == len(records) - 1):
            out.broken.append(("raw", replaced(raw), {MALFORMED_CSV, NOT_UTF8} if bad_bytes else {MALFORMED_CSV}))
            continue
        values = {h: (replaced(v) if v != "" else None) for h, v in zip(header, fields, strict=True)}
        problems = {p for p in (id_problem(values["id"]), date_problem(values["birth_date"]),
                                long_problem("points", values["points"])) if p}
        if bad_bytes:
            problems = {NOT_UTF8}
        if problems:
            out.broken.append(("values", {k: v for k, v in values.items() if v is not None}, problems))
        else:
            out.good.append(values)
    return out


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """json's object hook: a key named twice (ignoring case, as Spark's columns do) breaks the line."""
    seen = [k.lower() for k, _ in pairs]
    if len(set(seen)) < len(seen):
        raise ValueError(REPEATED)
    return dict(pairs)


def _as_text(value: object) -> str | None:
    """A JSON value as bronze keeps it: leaf values as text, nested ones as compact JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def json_expected(path: Path) -> Expected:
    """Each non-blank line of the file as Python's json module reads it, valid or broken."""
    lines = [re.sub(r"(\r\n|\n|\r)$", "", line) for line in
             LINE.findall(path.read_bytes().decode("utf-8", errors="surrogateescape"))]
    lines = [line for line in lines if line.strip(" \t")]
    out = Expected(records=len(lines))
    for line in lines:
        reasons = {NOT_UTF8} if has_bad_bytes(line) else set()
        try:
            obj = json.loads(replaced(line), object_pairs_hook=_unique_keys)
        except ValueError as error:
            out.broken.append(("raw", replaced(line), reasons | {REPEATED if REPEATED in str(error) else MALFORMED_JSON}))
            continue
        if not isinstance(obj, dict):
            out.broken.append(("raw", replaced(line), reasons | {MALFORMED_JSON}))
            continue
        values = {k: _as_text(v) for k, v in obj.items()}
        problems = {p for p in (id_problem(values.get("id")), long_problem("points", values.get("points"))) if p}
        if reasons:
            out.broken.append(("raw", replaced(line), reasons))
        elif problems:
            out.broken.append(("values", {k: v for k, v in values.items() if v is not None}, problems))
        else:
            out.good.append(values)
    return out


def silver_name(value: str | None) -> str | None:
    """jobs/normalize.py's rule for a mixed-case name, as docs say it: trimmed of spaces, single-spaced."""
    if value is None or not value.strip(" "):
        return None
    return re.sub(r"[ \t\n\x0b\f\r]+", " ", value.strip(" "))


def silver_values(values: dict, columns: list[str]) -> dict:
    """The silver attributes of a valid record: typed and normalised."""
    typed = {"first_name": silver_name(values.get("first_name")), "email": values.get("email")}
    points = values.get("points")
    typed["points"] = int(points.strip(" ")) if points and points.strip(" ") else None
    if "birth_date" in columns:
        text = values.get("birth_date")
        typed["birth_date"] = datetime.strptime(text, "%d/%m/%Y").date() if text else None
    return typed
