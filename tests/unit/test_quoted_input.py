"""Quoted line breaks, doubled quotes, separators and long values land whole (nothing lost).

Every expectation is computed independently of Spark: Python's csv module (RFC 4180) and json
module read the same file, and every field of every good record must be in bronze as they read
it; every broken record must be in quarantine whole, with its raw text; rows in = bronze +
quarantine, exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

from jobs.bronze import land_source
from jobs.readers import TEXT_AFTER
from tests.unit.bad_input_world import (  # noqa: F401 (ws: a fixture)
    build_silver_of,
    closes_every_quote,
    csv_records,
    land,
    table,
    ws,
)

def check_against_python_csv(spark, lake, name: str, file: Path, result) -> tuple[list, list]:
    """Every good record's fields in bronze as csv reads them; broken ones whole in quarantine."""
    header, records = csv_records(file)
    unclosed_last = not closes_every_quote(file)
    whole = [len(f) == len(header) and not (unclosed_last and i == len(records) - 1)
             for i, (f, _) in enumerate(records)]
    good = [f for (f, _), ok in zip(records, whole, strict=True) if ok]
    broken = [raw for (_, raw), ok in zip(records, whole, strict=True) if not ok]
    bronze = table(spark, lake.bronze(name))
    landed = bronze[header].to_dict("records")
    assert sorted(landed, key=str) == sorted([dict(zip(header, f, strict=True)) for f in good], key=str)
    quarantine = table(spark, lake.quarantine(name))
    assert sorted(quarantine["_raw"]) == sorted(broken)
    assert len(bronze) + len(quarantine) == len(records)  # rows in = bronze + quarantine
    assert (result.rows_landed, result.rows_quarantined) == (len(good), len(broken))
    return good, quarantine.to_dict("records")


def normalised_name(value: str) -> str:
    """What jobs/normalize.py's name makes of a mixed-case name: single-spaced."""
    return " ".join(value.split())


def test_quoted_line_breaks_doubled_quotes_and_separators_land_as_rfc_4180_reads_them(spark, ws, lake):
    file = Path(ws.source_location("quoted_csv")) / "customers.csv"
    result = land(spark, ws, lake, "quoted_csv")
    good, quarantined = check_against_python_csv(spark, lake, "quoted_csv", file, result)
    assert [f[0] for f in good] == ["1", "2", "3", "5", "6"]  # 4 has a sixth field
    [row] = quarantined
    assert row["_raw"] == "4,di@example.com,04/05/1983,40,\"Di\nO'Hara\",extra"  # whole, both lines
    assert row["_reason"] == "malformed CSV row (wrong number of fields or broken quoting)"
    build_silver_of(spark, ws, lake, "quoted_csv")
    silver = table(spark, lake.silver("customer")).set_index("record_id")
    assert {k: v for k, v in silver["first_name"].items()} == {
        f"quoted_csv:{f[0]}": normalised_name(f[4]) for f in good
    }


def test_unclosed_quote_quarantines_the_rest_of_the_file_whole_and_says_so(spark, ws, lake):
    file = Path(ws.source_location("unclosed_quote")) / "customers.csv"
    result = land(spark, ws, lake, "unclosed_quote")
    good, [row] = check_against_python_csv(spark, lake, "unclosed_quote", file, result)
    assert [f[0] for f in good] == ["1"]
    assert row["_raw"].splitlines() == file.read_text().splitlines()[2:]  # from the quote to the end
    assert "quote is never closed" in row["_reason"] and "end of the file" in row["_reason"]
    assert "3 lines" in row["_reason"]


def test_a_one_megabyte_field_lands_whole_with_or_without_line_breaks(spark, ws, lake):
    file = Path(ws.source_location("quoted_csv")) / "customers.csv"
    big = "x" * 1_000_000
    file.write_text(
        "id,email,birth_date,points,first_name\n"
        f'1,a@example.com,01/02/1980,10,"{big}"\n'
        f'2,b@example.com,01/02/1980,20,"{big}\n""{big}"", {big}"\n'
        f'3,c@example.com,01/02/1980,30,"{big}\n",extra\n'
        "4,d@example.com,01/02/1980,40,Di\n"
    )
    result = land(spark, ws, lake, "quoted_csv")
    good, [row] = check_against_python_csv(spark, lake, "quoted_csv", file, result)
    assert [f[0] for f in good] == ["1", "2", "4"] and len(good[1][4]) == 3_000_005
    assert len(row["_raw"]) == len(f'3,c@example.com,01/02/1980,30,"{big}\n",extra')


def test_json_lines_keep_escaped_line_breaks_and_long_strings_and_quarantine_split_lines(spark, ws, lake):
    file = Path(ws.source_location("malformed_json")) / "customers.jsonl"
    big = "y" * 1_000_000
    file.write_text(
        json.dumps({"id": "1", "first_name": "Ann\nMarie", "email": "a@example.com"}) + "\n"
        + json.dumps({"id": "2", "first_name": big, "email": "b\r\n@example.com"}) + "\n"
        + '{"id": "3", "first_name": "raw line\nbreak", "email": "c@example.com"}\n'
        + json.dumps({"id": "4", "first_name": 'Di "Q" \\ O\'Hara', "email": "d@example.com"}) + "\n"
    )
    result = land(spark, ws, lake, "malformed_json")
    lines = file.read_text().splitlines()
    parsed, broken = [], []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            broken.append(line)
    columns = ["id", "first_name", "email"]
    bronze = table(spark, lake.bronze("malformed_json"))[columns].to_dict("records")
    assert sorted(bronze, key=str) == sorted(parsed, key=str) and len(bronze) == 3
    quarantine = table(spark, lake.quarantine("malformed_json"))
    assert sorted(quarantine["_raw"]) == sorted(broken) and len(broken) == 2  # both halves of 3, whole
    assert len(bronze) + len(quarantine) == len(lines)
    assert (result.rows_landed, result.rows_quarantined) == (3, 2)


def test_nul_and_control_characters_in_quoted_csv_values_land_as_written(spark, ws, lake):
    file = Path(ws.source_location("quoted_csv")) / "customers.csv"
    file.write_bytes(  # Spark's CSV parser used to drop a NUL inside quotes (its quote-escape-escape default)
        b"id,email,birth_date,points,first_name\n"
        b'1,a@example.com,01/02/1980,10,"Ann\x00Marie\nSmith"\n'
        b'2,b@example.com,01/02/1980,20,"Bob""\x00\x07\x1b"\n'
        b"3,c@example.com,01/02/1980,30,Cy\x00\x7f\n"
    )
    result = land(spark, ws, lake, "quoted_csv")
    good, quarantined = check_against_python_csv(spark, lake, "quoted_csv", file, result)
    assert [f[4] for f in good] == ["Ann\x00Marie\nSmith", 'Bob"\x00\x07\x1b', "Cy\x00\x7f"] and not quarantined


def test_json_lines_that_repeat_a_key_or_are_no_object_are_one_quarantined_record_each(spark, ws, lake):
    file = Path(ws.source_location("malformed_json")) / "customers.jsonl"
    broken = [
        '{"id": "2", "first_name": "Bob", "id": "2b"}',  # used to fail the whole source (schema inference)
        '{"id": "3", "ID": "3b"}',  # the same column to Spark and Delta, which ignore case
        '{"id": "4", "name": {"given": "Di", "given": "Dee"}}',  # nested: Delta refused the append
        '[{"id": "5"}, {"id": "6"}]',  # used to land as two rows
        "[]",  # used to vanish: no row, no quarantine
        "42",
        "{'id': '7', 'first_name': 'single quotes'}",  # not JSON; Spark's reader took it
    ]
    file.write_text("\n".join(['{"id": "1", "first_name": "Ann", "email": "a@example.com"}', *broken]) + "\n")
    result = land(spark, ws, lake, "malformed_json")
    assert list(table(spark, lake.bronze("malformed_json"))["id"]) == ["1"]
    quarantine = table(spark, lake.quarantine("malformed_json")).set_index("_raw")["_reason"]
    assert sorted(quarantine.index) == sorted(broken) and (result.rows_landed, result.rows_quarantined) == (1, 7)
    repeated = "malformed JSON line: key(s) %s appear more than once in the object"
    assert quarantine[broken[0]].startswith(repeated % "id") and quarantine[broken[1]].startswith(repeated % "id")
    assert quarantine[broken[2]].startswith(repeated % "name.given")
    assert set(quarantine[broken[3:]]) == {"malformed JSON line"}


def test_multiline_json_documents_are_still_read_by_spark_json_reader(spark, ws, lake):
    folder = Path(ws.source_location("malformed_json"))
    (folder / "customers.jsonl").write_text(json.dumps(
        [{"id": "1", "first_name": "Ann", "email": "a@example.com"}, {"id": "2", "first_name": "Bob"}], indent=2))
    source = ws.sources["malformed_json"].model_copy(update={"options": {"multiLine": True}})
    result = land_source(spark, "malformed_json", source, ws.model, str(folder), lake, region="GB")
    assert sorted(table(spark, lake.bronze("malformed_json"))["id"]) == ["1", "2"]
    assert (result.rows_landed, result.rows_quarantined) == (2, 0)


def test_json_numbers_land_as_written(spark, ws, lake):
    file = Path(ws.source_location("malformed_json")) / "customers.jsonl"  # amount: a column no mapping reads
    file.write_text('{"id": "1", "amount": 12345678901234567.89}\n{"id": "2", "amount": 1e3}\n{"id": "3", "amount": 10}\n')
    land(spark, ws, lake, "malformed_json")
    bronze = table(spark, lake.bronze("malformed_json")).set_index("id")["amount"].to_dict()
    assert bronze == {"1": "12345678901234567.89", "2": "1e3", "3": "10"}  # not a double's 1.2345678901234568E16


def test_a_json_line_with_text_after_its_object_is_quarantined_whole(spark, ws, lake):
    file = Path(ws.source_location("malformed_json")) / "customers.jsonl"
    broken = ['{"id": "12"}{"id": "13"}', '{"id": "14"} and more', '{"id": "15"}, {"id": "16"}']  # Spark kept 12, 14, 15
    fine = ['{"id": "1", "first_name": "Ann"}', '{"id": "2", "first_name": "a}b {c"}', '{"id": "3", "x": [{"y": 1}]}  ']
    file.write_text("\n".join([*fine, *broken]) + "\n")
    result = land(spark, ws, lake, "malformed_json")
    bronze = table(spark, lake.bronze("malformed_json")).set_index("id")
    assert sorted(bronze.index) == ["1", "2", "3"] and bronze.loc["2", "first_name"] == "a}b {c"
    quarantine = table(spark, lake.quarantine("malformed_json")).set_index("_raw")["_reason"]
    assert sorted(quarantine.index) == sorted(broken) and (result.rows_landed, result.rows_quarantined) == (3, 3)
    assert set(quarantine) == {TEXT_AFTER}
    for line in broken:  # Python's json agrees: more than one value on the line
        try:
            json.loads(line)
        except json.JSONDecodeError as error:
            assert error.msg == "Extra data", line
        else:
            raise AssertionError(line)


def test_a_key_repeated_inside_nested_objects_quarantines_only_its_line(spark, ws, lake):
    file = Path(ws.source_location("malformed_json")) / "customers.jsonl"
    broken = [
        '{"id": "5", "orders": [{"sku": "a"}, {"sku": "b", "SKU": "c"}]}',  # used to fail the whole source
        '{"id": "6", "orders": [], "tags": [[{"k": "1", "k": "2"}]]}',  # an array of arrays of objects
    ]
    fine = [
        '{"id": "1", "first_name": "Ann", "orders": [{"sku": "x"}, {"sku": "y"}]}',
        '{"id": "2", "first_name": "Bob", "tags": [[{"k": "3"}]]}',
    ]
    file.write_text("\n".join([fine[0], *broken, fine[1]]) + "\n")
    result = land(spark, ws, lake, "malformed_json")
    bronze = table(spark, lake.bronze("malformed_json")).set_index("id")
    assert sorted(bronze.index) == ["1", "2"] and bronze.loc["1", "first_name"] == "Ann"
    quarantine = table(spark, lake.quarantine("malformed_json")).set_index("_raw")["_reason"]
    assert sorted(quarantine.index) == sorted(broken) and (result.rows_landed, result.rows_quarantined) == (2, 2)
    repeated = "malformed JSON line: key(s) %s appear more than once in the object"
    assert quarantine[broken[0]].startswith(repeated % "orders[].sku")
    assert quarantine[broken[1]].startswith(repeated % "tags[][].k")


def test_a_key_repeated_only_inside_a_nested_object_is_found_when_every_line_is_an_object(spark, ws, lake):
    file = Path(ws.source_location("malformed_json")) / "customers.jsonl"
    broken = '{"id": "4", "name": {"given": "Di", "given": "Dee"}}'
    file.write_text('{"id": "1", "name": {"given": "Ann"}}\n' + broken + "\n")
    result = land(spark, ws, lake, "malformed_json")
    assert list(table(spark, lake.bronze("malformed_json"))["id"]) == ["1"]
    quarantine = table(spark, lake.quarantine("malformed_json")).set_index("_raw")["_reason"]
    assert list(quarantine.index) == [broken] and (result.rows_landed, result.rows_quarantined) == (1, 1)


def test_text_after_a_closing_quote_lands_as_written_and_costs_no_following_row(spark, ws, lake):
    file = Path(ws.source_location("quoted_csv")) / "customers.csv"
    file.write_text(  # with unescapedQuoteHandling STOP_AT_CLOSING_QUOTE, rows 2-3 would be read into row 1's email
        "id,email,birth_date,points,first_name\n"
        '1,"a@example.com"x,01/02/1980,10,Ann\n'
        "2,b@example.com,01/02/1980,20,Bob\n"
        '3,c@example.com,01/02/1980,30,"Cy\nO""Hara, Jr"\n'
        '4,d@example.com,01/02/1980,40,D"i"\n'
    )
    result = land(spark, ws, lake, "quoted_csv")
    bronze = table(spark, lake.bronze("quoted_csv")).set_index("id")
    assert bronze["email"].to_dict() == {  # every row, each whole
        "1": '"a@example.com"x', "2": "b@example.com", "3": "c@example.com", "4": "d@example.com"}
    assert bronze["first_name"].to_dict() == {"1": "Ann", "2": "Bob", "3": 'Cy\nO"Hara, Jr', "4": 'D"i"'}
    assert (result.rows_landed, result.rows_quarantined) == (4, 0)
