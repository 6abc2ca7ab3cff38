"""Bronze landing: everything lands once, bad rows go to quarantine with a reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from jobs.bronze import land_source
from jobs.ingest_log import INGEST_LOG
from jobs.conform import SourceError
from tests.unit.mini import mini_workspace


def land(spark, ws, lake, name):
    return land_source(spark, name, ws.sources[name], ws.model, ws.source_location(name), lake)


def rows(spark, path):
    return spark.read.format("delta").load(path).toPandas()


def test_csv_good_rows_land_and_bad_rows_are_quarantined_with_reasons(spark, tmp_path, lake):
    ws = mini_workspace(tmp_path)
    result = land(spark, ws, lake, "contacts")
    raw = pd.read_csv(ws.source_location("contacts") + "/contacts_1.csv", dtype=str,
                      on_bad_lines="skip", keep_default_na=False)
    bronze = rows(spark, lake.bronze("contacts"))
    assert sorted(bronze["id"]) == ["1", "2", "3"]  # 4 malformed, 5 bad date, blank id
    assert len(raw) == 5  # pandas sees the same file: five well-formed data rows
    quarantine = rows(spark, lake.quarantine("contacts")).set_index("_reason")
    assert set(quarantine.index) == {
        "malformed CSV row (wrong number of fields or broken quoting)",
        "birth_date: '32/13/1990' is not a valid date",
        "missing required field 'id'",
    }
    malformed = quarantine.loc["malformed CSV row (wrong number of fields or broken quoting)", "_raw"]
    assert malformed.startswith("4,Dan,")  # the raw line, as it came
    assert (result.rows_landed, result.rows_quarantined) == (3, 3)
    assert set(bronze.columns) >= {"First_Name", "_source", "_file", "_batch_id", "_ingested_at"}


def test_json_malformed_line_and_wrong_type(spark, tmp_path, lake):
    ws = mini_workspace(tmp_path)
    land(spark, ws, lake, "members")
    assert list(rows(spark, lake.bronze("members"))["member_no"]) == ["M1"]
    reasons = sorted(rows(spark, lake.quarantine("members"))["_reason"])
    assert reasons == ["malformed JSON line", "points: 'lots' is not a valid long"]


def test_landing_twice_adds_nothing_and_a_new_file_adds_only_its_rows(spark, tmp_path, lake):
    ws = mini_workspace(tmp_path)
    first = land(spark, ws, lake, "orders")
    again = land(spark, ws, lake, "orders")
    assert again.batch_id is None and again.files_already_landed == 1
    assert len(rows(spark, lake.bronze("orders"))) == first.rows_landed == 4
    Path(ws.source_location("orders"), "orders_2.jsonl").write_text(
        '{"order_id": "O6", "contact": "3", "at": "2026-04-01T08:00:00Z", "total": 3}\n'
    )
    second = land(spark, ws, lake, "orders")
    bronze = rows(spark, lake.bronze("orders"))
    assert second.batch_id == 2 and second.rows_landed == 1
    assert len(bronze) == 5 and bronze["order_id"].is_unique
    log = rows(spark, lake.meta(INGEST_LOG))
    assert sorted(log["batch_id"]) == [1, 2]


def test_missing_required_column_fails_naming_file_and_column(spark, tmp_path, lake):
    ws = mini_workspace(tmp_path)
    folder = Path(ws.source_location("orders"))
    (folder / "orders_1.jsonl").write_text('{"order_id": "O1", "total": 1}\n')
    with pytest.raises(SourceError, match=r"required column\(s\) \['at'\] missing in .*orders_1.jsonl"):
        land(spark, ws, lake, "orders")


def test_empty_and_header_only_files_land_nothing_once(spark, tmp_path, lake):
    ws = mini_workspace(tmp_path)
    folder = Path(ws.source_location("contacts"))
    (folder / "contacts_1.csv").unlink()
    (folder / "empty.csv").write_text("")
    (folder / "header_only.csv").write_text("id,First Name,last,email,phone,dob,country\n")
    result = land(spark, ws, lake, "contacts")
    assert (result.rows_landed, result.rows_quarantined, len(result.new_files)) == (0, 0, 2)
    assert land(spark, ws, lake, "contacts").batch_id is None
