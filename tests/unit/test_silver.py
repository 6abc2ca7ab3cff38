"""Silver: conformed, deduplicated, merged; re-running changes nothing."""

from __future__ import annotations

from pathlib import Path

from jobs.bronze import land_source
from jobs.silver import build_silver, latest_per_record
from tests.unit.mini import mini_workspace


def land_all(spark, ws, lake):
    for name, source in ws.sources.items():
        land_source(spark, name, source, ws.model, ws.source_location(name), lake)


def table(spark, path):
    return spark.read.format("delta").load(path).toPandas().set_index("record_id")


def test_customer_silver_is_typed_normalised_and_keyed(spark, tmp_path, lake):
    ws = mini_workspace(tmp_path)
    land_all(spark, ws, lake)
    result = build_silver(spark, ws, "customer", lake)
    customers = table(spark, lake.silver("customer"))
    assert result.rows_inserted == len(customers) == 4
    assert sorted(customers.index) == ["contacts:1", "contacts:2", "contacts:3", "members:M1"]
    alice = customers.loc["contacts:1"]
    assert (alice.first_name, alice.last_name, alice.email) == ("Alice", "Smith", "alice.smith@example.com")
    assert (alice.phone, alice.country, str(alice.birth_date)) == ("+447911123456", "GB", "1980-02-01")
    assert customers.loc["members:M1", "points"] == 120
    assert customers.loc["contacts:3"].email is None  # 'not-an-email' is not an address


def test_interaction_links_point_at_source_records(spark, tmp_path, lake):
    ws = mini_workspace(tmp_path)
    land_all(spark, ws, lake)
    build_silver(spark, ws, "purchase", lake)
    purchases = table(spark, lake.silver("purchase"))
    assert purchases.loc["orders:O1", "customer_record_id"] == "contacts:1"
    assert purchases.loc["orders:O1", "channel"] == "web"
    assert purchases["amount"].sum() == 10.5 + 20.0 + 5.25 + 7


def test_rerun_changes_nothing_and_newer_batch_updates(spark, tmp_path, lake):
    ws = mini_workspace(tmp_path)
    land_all(spark, ws, lake)
    build_silver(spark, ws, "customer", lake)
    before = table(spark, lake.silver("customer"))
    again = build_silver(spark, ws, "customer", lake)
    assert (again.rows_inserted, again.rows_updated) == (0, 0)
    assert table(spark, lake.silver("customer")).equals(before)

    folder = Path(ws.source_location("contacts"))
    (folder / "contacts_2.csv").write_text(
        "id,First Name,last,email,phone,dob,country\n"
        "2,Bob,Jones,bob.jones@example.com,,31/12/1975,GB\n"
        "2,Bob,Jones,bob.jones@example.com,,31/12/1975,GB\n"
        "7,Hal,Lee,hal@example.com,,,GB\n"
    )
    land_source(spark, "contacts", ws.sources["contacts"], ws.model, str(folder), lake)
    result = build_silver(spark, ws, "customer", lake)
    after = table(spark, lake.silver("customer"))
    assert (result.rows_inserted, result.rows_updated) == (1, 1)
    assert after.loc["contacts:2", "email"] == "bob.jones@example.com"
    assert after.index.is_unique and len(after) == 5


def test_latest_per_record_keeps_the_newest_batch(spark):
    rows = [("a", 1, "old", "f1"), ("a", 2, "new", "f2"), ("b", 1, "only", "f1")]
    df = spark.createDataFrame(rows, "record_id string, _batch_id long, value string, _file string")
    df = df.withColumn("_ingested_at", df["_batch_id"].cast("timestamp"))
    latest = {r.record_id: r.value for r in latest_per_record(df, ["record_id", "value"]).collect()}
    assert latest == {"a": "new", "b": "only"}
