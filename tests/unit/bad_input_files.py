"""Hypothesis strategies for source files that mix valid rows with broken ones, as bytes.

The rows are only a proposal: what is valid is decided afterwards by Python's csv and json modules
on the bytes written (tests/unit/bad_input_oracle.py), never by what a strategy meant.
Keys are unique per row ("k<n>"), except where a row repeats an earlier one on purpose.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from hypothesis import strategies as st

CSV_HEADER = ["id", "first_name", "email", "birth_date", "points"]  # the bad_input customer CSV
# Text a name may hold: separators, quotes, line breaks, accents, emoji, control characters
# (NUL, BEL, ESC, DEL, NEL, LINE SEPARATOR) and Spark's whitespace; no U+FFFD (it marks bad bytes).
TRICKY = ",;\"' \t\n\r\x00\x01\x07\x1b\x7f\x85\u2028éß😀"
NAME_TEXT = st.text(st.sampled_from(list(TRICKY) + list("abcXYZ019")), max_size=12)
PLAIN = st.text(st.sampled_from(list("abcxyz019 -_")), min_size=1, max_size=8)  # no quote, separator, break
BAD_POINTS = ["lots", "4.5", "1e3", "12abc", "9223372036854775808", "-3", "0x10"]
BAD_DATES = ["31/04/1990", "29/02/2023", "1982-04-03", "15/06/1850", "01/01/2999"]
BAD_JSON_POINTS = [4.5, True, "lots", {"a": 1}, -1, "-2", "1.5", [1]]
# Every file holds every kind (twice), in an order Hypothesis draws: even its simplest example has them all.
CSV_KINDS = ["valid"] * 8 + ["huge", "cut", "stray_quote", "extra_field", "missing_field", "latin1",
                             "bad_points", "bad_date", "no_id", "repeat", "repeat_changed"] * 2
JSON_KINDS = ["valid"] * 8 + ["huge", "cut", "stray_quote", "latin1", "bad_points", "no_id", "raw_control",
                              "repeat", "repeat_changed", "duplicate_key", "array", "single_quotes", "extra_key"] * 2


class FileBytes(bytes):
    """A generated file; its repr (in Hypothesis' report of a failing case) is cut short."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes: {bytes(self[:400])!r}...>"


@st.composite
def names(draw, huge: bool = False) -> str:
    """A mixed-case name ("Ab" first: silver keeps its case), possibly huge (20-120 KB; tests/unit/test_quoted_input.py lands 1 MB fields)."""
    text = "Ab" + draw(NAME_TEXT)
    if huge:
        text += "x" * draw(st.integers(20_000, 120_000)) + draw(NAME_TEXT)
    return text


@st.composite
def birth_dates(draw) -> str:
    day = date(1900, 1, 1) + timedelta(days=draw(st.integers(0, 44_000)))  # up to 2020
    return day.strftime("%d/%m/%Y")


@st.composite
def points(draw) -> str:
    """A valid long of at least 0 as text, sometimes space-padded or empty (points is optional)."""
    value = draw(st.one_of(st.integers(0, 10_000), st.integers(0, 2**63 - 1)))
    return draw(st.sampled_from([str(value), f" {value} ", "", f"+{value}"]))


def _csv_line(fields: list[str]) -> bytes:
    """One row as Python's csv module writes it, LF-terminated; a value holding CR or LF is quoted.

    (With lineterminator LF the module would leave a lone CR unquoted, which Python's reader then
    ends the record at and Spark's, in a file of LF lines, reads as data: not generated.)
    """
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(fields)
    return out.getvalue().removesuffix("\r\n").encode("utf-8") + b"\n"


@st.composite
def csv_files(draw) -> bytes:
    """A customer CSV: the header, then valid rows written by Python's csv module and broken ones."""
    lines, written = [_csv_line(CSV_HEADER)], []
    for n, kind in enumerate(["valid", *draw(st.permutations(CSV_KINDS))]):
        fields = [f"k{n}", draw(names(huge=kind == "huge")), f"u{n}@example.com", draw(birth_dates()), draw(points())]
        if kind in ("repeat", "repeat_changed") and written:
            fields = list(draw(st.sampled_from(written)))
            fields[1] = draw(names()) if kind == "repeat_changed" else fields[1]
        line = _csv_line(fields)
        if kind == "cut":  # cut before the last separator, where no quote is open
            cuts = [i for i in range(1, line.rindex(b",")) if line[:i].count(b'"') % 2 == 0]
            line = line[:draw(st.sampled_from(cuts))] + b"\n"
        elif kind == "stray_quote":  # a quote inside an unquoted value: text to RFC 4180's readers
            line = ",".join([fields[0], f"Ab{draw(PLAIN)}\"{draw(PLAIN)}", *fields[2:]]).encode() + b"\n"
        elif kind == "extra_field":
            line = line[:-1] + b",extra\n"
        elif kind == "missing_field":
            line = _csv_line(fields[:2] + fields[3:])
        elif kind == "latin1":  # a name written in ISO-8859-1 in a UTF-8 file
            line = _csv_line([fields[0], "Jos\x00", *fields[2:]]).replace(b"\x00", b"\xe9")
        elif kind in ("bad_points", "bad_date", "no_id"):
            at, bad = {"bad_points": (4, BAD_POINTS), "bad_date": (3, BAD_DATES), "no_id": (0, ["", "  "])}[kind]
            fields[at] = draw(st.sampled_from(bad))
            line = _csv_line(fields)
        elif kind == "valid" or kind == "huge":
            written.append(fields)
        lines.append(line)
    if draw(st.booleans()):  # a quote opened in the last record and never closed: it runs to the end
        lines.append(f'k{len(lines)},"Ab never closed,u@example.com,01/02/1980,1\n'.encode())
    return FileBytes(b"".join(lines))


def _json_value(draw, n: int, kind: str) -> dict:
    obj = {"id": f"k{n}", "first_name": draw(names(huge=kind == "huge")), "email": f"u{n}@example.com",
           "points": draw(st.one_of(st.integers(0, 2**63 - 1), st.integers(0, 99).map(str), st.none()))}
    if kind == "bad_points":
        obj["points"] = draw(st.sampled_from(BAD_JSON_POINTS))
    elif kind == "no_id":
        obj["id"] = draw(st.sampled_from([None, "", " "]))
    elif kind == "extra_key":
        obj["extra"] = draw(PLAIN)
    order = draw(st.permutations(list(obj)))
    return {key: obj[key] for key in order}


@st.composite
def json_files(draw) -> bytes:
    """JSON lines: valid objects written by Python's json module, and broken lines."""
    lines, written = [], []
    for n, kind in enumerate(["valid", *draw(st.permutations(JSON_KINDS))]):
        obj = _json_value(draw, n, kind)
        if kind in ("repeat", "repeat_changed") and written:
            obj = dict(draw(st.sampled_from(written)))
            obj["first_name"] = draw(names()) if kind == "repeat_changed" else obj["first_name"]
        text = json.dumps(obj, ensure_ascii=draw(st.booleans()))
        if kind == "cut":
            text = text[:draw(st.integers(1, len(text) - 1))]
        elif kind == "stray_quote":
            at = draw(st.integers(1, len(text) - 1))
            text = text[:at] + '"' + text[at:]
        elif kind == "raw_control":  # a control character unescaped inside a string: not JSON
            text = text.replace('"first_name": "Ab', '"first_name": "A\x07b', 1)
        elif kind == "duplicate_key":
            key = draw(st.sampled_from(["id", "ID", "first_name"]))
            text = text[:-1] + f', "{key}": "{draw(PLAIN)}"}}'
        elif kind == "array":
            text = f"[{text}]"
        elif kind == "single_quotes":
            text = "{'id': 'k%d', 'first_name': 'Ab'}" % n
        elif kind in ("valid", "huge", "extra_key"):
            written.append(obj)
        data = text.encode("utf-8")
        if kind == "latin1":
            data = data.replace(b'"first_name": "Ab', b'"first_name": "Jos\xe9 Ab', 1)
        lines.append(data + b"\n")
    return FileBytes(b"".join(lines))
