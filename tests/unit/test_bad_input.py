"""Bad input never costs good data and always gets a clear reason: one small file per case.

The workspace tests/data/bad_input has one source per case; each test lands only its own
source and checks what landed, what was quarantined and why, against the file itself.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jobs.conform import SourceError
from tests.unit.bad_input_world import build_silver_of, land, table, ws  # noqa: F401 (ws: a fixture)

MALFORMED_CSV = "malformed CSV row (wrong number of fields or broken quoting)"


def reasons_by_key(spark, lake, name, key="id") -> dict[str, str]:
    """Quarantined rows by the key found in their raw text (JSON rows) or first CSV field."""
    rows = table(spark, lake.quarantine(name))
    assert rows["_reason"].notna().all() and rows["_raw"].notna().all()
    found = {}
    for raw, reason in zip(rows["_raw"], rows["_reason"], strict=True):
        if raw.lstrip().startswith("{") and f'"{key}"' in raw:
            value = pd.read_json(pd.io.common.StringIO(raw), lines=True, dtype=False)[key][0]
        else:
            value = raw.split(",")[0]
        found[str(value)] = reason
    return found


def test_malformed_csv_rows_are_quarantined_and_the_rest_lands(spark, ws, lake):
    result = land(spark, ws, lake, "malformed_csv")
    assert sorted(table(spark, lake.bronze("malformed_csv"))["id"]) == ["1", "4"]
    quarantined = table(spark, lake.quarantine("malformed_csv"))
    assert list(quarantined["_reason"]) == [MALFORMED_CSV] * 2
    assert sorted(r.split(",")[0] for r in quarantined["_raw"]) == ["2", "3"]  # the raw lines
    assert (result.rows_landed, result.rows_quarantined) == (2, 2)


def test_malformed_json_lines_are_quarantined_with_their_text(spark, ws, lake):
    land(spark, ws, lake, "malformed_json")
    assert sorted(table(spark, lake.bronze("malformed_json"))["id"]) == ["1", "3"]
    quarantined = table(spark, lake.quarantine("malformed_json"))
    assert set(quarantined["_reason"]) == {"malformed JSON line"}
    assert sorted(quarantined["_raw"]) == sorted(['{"id": "2", "first_name": "Bob", "email":', "not json at all"])


def test_json_file_without_one_readable_line_is_quarantined_whole(spark, ws, lake):
    folder = Path(ws.source_location("malformed_json"))
    (folder / "customers.jsonl").write_text('{"id": "1", "first_name": \n[1, 2\n')
    result = land(spark, ws, lake, "malformed_json")
    assert (result.rows_landed, result.rows_quarantined) == (0, 2)
    quarantined = table(spark, lake.quarantine("malformed_json"))
    assert sorted(quarantined["_raw"]) == ['[1, 2', '{"id": "1", "first_name": ']
    assert set(quarantined["_reason"]) == {"malformed JSON line"}


def test_values_of_the_wrong_type_are_quarantined_naming_attribute_and_value(spark, ws, lake):
    land(spark, ws, lake, "wrong_types")
    assert list(table(spark, lake.bronze("wrong_types"))["id"]) == ["1"]
    assert reasons_by_key(spark, lake, "wrong_types") == {
        "2": "points: 'lots' is not a valid long",
        "3": "birth_date: '1982-04-03' is not a valid date",
        "4": "points: '4.5' is not a valid long",
    }


def test_impossible_and_out_of_range_dates_are_quarantined(spark, ws, lake):
    land(spark, ws, lake, "impossible_dates")
    assert list(table(spark, lake.bronze("impossible_dates"))["id"]) == ["5"]  # 29/02/2024 is real
    assert reasons_by_key(spark, lake, "impossible_dates") == {
        "1": "birth_date: '29/02/2023' is not a valid date",
        "2": "birth_date: '31/04/1990' is not a valid date",
        "3": "birth_date: '15/06/1850' is below the minimum 1900-01-01",
        "4": "birth_date: '01/01/2999' is above the maximum now",
    }


def test_negative_quantities_and_prices_break_the_declared_minimum(spark, ws, lake):
    land(spark, ws, lake, "negative_quantities")
    assert list(table(spark, lake.bronze("negative_quantities"))["line_id"]) == ["L1"]
    assert reasons_by_key(spark, lake, "negative_quantities", key="line_id") == {
        "L2": "quantity: '-2' is below the minimum 1",
        "L3": "quantity: '0' is below the minimum 1",
        "L4": "price: '-1.0' is below the minimum 0",
    }


def test_declared_latin1_encoding_is_read_as_written(spark, ws, lake):
    land(spark, ws, lake, "latin1_declared")
    file = Path(ws.source_location("latin1_declared")) / "customers.csv"
    expected = pd.read_csv(file, encoding="latin-1", dtype=str)
    bronze = table(spark, lake.bronze("latin1_declared")).sort_values("id")
    assert list(bronze["first_name"]) == list(expected["first_name"]) == ["José", "Zoë", "Ann"]
    assert spark.read.format("delta").load(lake.quarantine("latin1_declared")).count() == 0


def test_undeclared_non_utf8_csv_rows_are_quarantined_with_the_fix(spark, ws, lake):
    land(spark, ws, lake, "latin1_undeclared")
    assert list(table(spark, lake.bronze("latin1_undeclared"))["id"]) == ["3"]  # plain ASCII row
    reasons = reasons_by_key(spark, lake, "latin1_undeclared")
    assert set(reasons) == {"1", "2"}
    assert all("not valid UTF-8" in r and "encoding: ISO-8859-1" in r for r in reasons.values())


def test_undeclared_non_utf8_json_lines_are_quarantined_with_the_fix(spark, ws, lake):
    land(spark, ws, lake, "latin1_json")
    assert list(table(spark, lake.bronze("latin1_json"))["id"]) == ["2"]
    [row] = table(spark, lake.quarantine("latin1_json")).to_dict("records")
    assert "not valid UTF-8" in row["_reason"]
    assert row["_raw"] == '{"id": "1", "first_name": "Jos\ufffd", "email": "jose@example.com"}'  # valid text


def test_byte_order_mark_and_crlf_do_not_reach_column_names_or_values(spark, ws, lake):
    land(spark, ws, lake, "byte_order_mark")
    bronze = table(spark, lake.bronze("byte_order_mark")).sort_values("id")
    assert "id" in bronze.columns and not any("\ufeff" in c for c in bronze.columns)
    assert list(bronze["id"]) == ["1", "2"] and list(bronze["points"]) == ["10", "20"]


def test_empty_file_lands_nothing_and_is_not_read_again(spark, ws, lake):
    first = land(spark, ws, lake, "empty_file")
    assert (first.rows_landed, first.rows_quarantined, len(first.new_files)) == (0, 0, 1)
    assert land(spark, ws, lake, "empty_file").batch_id is None


def test_header_only_file_lands_nothing_and_is_not_read_again(spark, ws, lake):
    first = land(spark, ws, lake, "header_only")
    assert (first.rows_landed, first.rows_quarantined, len(first.new_files)) == (0, 0, 1)
    assert land(spark, ws, lake, "header_only").batch_id is None


def test_duplicate_keys_within_and_across_files_give_one_silver_row_per_record(spark, ws, lake):
    land(spark, ws, lake, "duplicate_keys")
    bronze = table(spark, lake.bronze("duplicate_keys"))
    assert len(bronze) == 6  # bronze keeps every row as it came
    build_silver_of(spark, ws, lake, "duplicate_keys")
    silver = table(spark, lake.silver("customer"))
    assert sorted(silver["record_id"]) == ["duplicate_keys:1", "duplicate_keys:2", "duplicate_keys:3"]
    assert silver["record_id"].is_unique


def test_missing_required_column_fails_the_source_naming_file_and_column(spark, ws, lake):
    with pytest.raises(SourceError) as failure:
        land(spark, ws, lake, "missing_column")
    message = str(failure.value)
    assert "['email']" in message and "missing_column/customers.csv" in message


def test_new_column_evolves_bronze(spark, ws, lake):
    land(spark, ws, lake, "new_column")
    folder = Path(ws.source_location("new_column"))
    (folder / "part_2.csv").write_text(
        "id,first_name,email,birth_date,points,tier\n3,Cy,cy@example.com,03/04/1982,30,gold\n"
    )
    land(spark, ws, lake, "new_column")
    bronze = table(spark, lake.bronze("new_column")).set_index("id")
    assert bronze.loc["3", "tier"] == "gold"
    assert bronze.loc[["1", "2"], "tier"].isna().all()


def test_new_column_fails_the_source_under_the_fail_policy(spark, ws, lake):
    land(spark, ws, lake, "new_column_refused")
    folder = Path(ws.source_location("new_column_refused"))
    (folder / "part_2.csv").write_text(
        "id,first_name,email,birth_date,points,tier\n3,Cy,cy@example.com,03/04/1982,30,gold\n"
    )
    with pytest.raises(SourceError, match=r"new column\(s\) \['tier'\]"):
        land(spark, ws, lake, "new_column_refused")
    assert spark.read.format("delta").load(lake.bronze("new_column_refused")).count() == 2


def test_removed_optional_column_is_tolerated(spark, ws, lake):
    land(spark, ws, lake, "removed_column")
    folder = Path(ws.source_location("removed_column"))
    (folder / "part_2.csv").write_text("id,first_name,email,birth_date\n3,Cy,cy@example.com,03/04/1982\n")
    result = land(spark, ws, lake, "removed_column")
    assert result.rows_landed == 1
    bronze = table(spark, lake.bronze("removed_column")).set_index("id")
    assert bronze.loc["3", "points"] is None and bronze.loc["1", "points"] == "10"


def test_removed_optional_column_fails_under_the_fail_policy(spark, ws, lake):
    land(spark, ws, lake, "removed_column_refused")
    folder = Path(ws.source_location("removed_column_refused"))
    (folder / "part_2.csv").write_text("id,first_name,email,birth_date\n3,Cy,cy@example.com,03/04/1982\n")
    with pytest.raises(SourceError, match=r"optional column\(s\) \['points'\] missing in .*part_2.csv"):
        land(spark, ws, lake, "removed_column_refused")


def test_type_change_in_parquet_is_quarantined_with_the_reason(spark, ws, lake):
    folder = Path(ws.root) / "data" / "type_change"
    folder.mkdir()
    first = {"line_id": ["L1", "L2"], "at": ["2026-01-05T10:00:00Z"] * 2, "qty": [1, 2], "price": [2.5, 3.0]}
    pq.write_table(pa.table(first), folder / "part_1.parquet")
    land(spark, ws, lake, "type_change")
    later = {"line_id": ["L3"], "at": ["2026-01-06T10:00:00Z"], "qty": [3], "price": ["3,50"]}
    pq.write_table(pa.table(later), folder / "part_2.parquet")
    result = land(spark, ws, lake, "type_change")
    bronze = table(spark, lake.bronze("type_change"))
    assert sorted(bronze["line_id"]) == ["L1", "L2"] and bronze["price"].dtype == "float64"
    [row] = table(spark, lake.quarantine("type_change")).to_dict("records")
    assert row["_reason"] == "type change: column 'price' is string here but double in bronze"
    assert '"line_id":"L3"' in row["_raw"] and '"price":"3,50"' in row["_raw"]
    assert (result.rows_landed, result.rows_quarantined) == (0, 1)
