"""Forgetting one person on the mini workspace: every layer loses exactly their rows."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from jobs.bronze import land_source
from jobs.customer_measures import customer_measures
from jobs.privacy.forget import forget
from jobs.silver import build_silver
from schemas.tables import Lake
from tests.unit.mini import mini_workspace

ALICE = "alice.smith@example.com"  # contacts:1 (as ' Alice.Smith@Example.COM ') and members:M1


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    return Lake(str(tmp_path_factory.mktemp("forget") / "lake"))


@pytest.fixture(scope="module")
def forgotten(spark, tmp_path_factory, lake):
    ws = mini_workspace(tmp_path_factory.mktemp("mini"))
    for name, source in ws.sources.items():
        land_source(spark, name, source, ws.model, ws.source_location(name), lake, region="GB")
    for type_name in ws.silver_types():
        build_silver(spark, ws, type_name, lake)
    profiles = spark.read.format("delta").load(lake.silver("customer"))
    purchases = spark.read.format("delta").load(lake.silver("purchase"))
    customer_measures(profiles, purchases, "customer", "amount").write.format("delta").save(
        lake.gold("customer_measures")
    )
    before = {t: _rows(spark, lake, t) for t in TABLES}
    result = forget(spark, ws, lake, email="ALICE.SMITH@example.com ", retention_hours=0)
    after = {t: _rows(spark, lake, t) for t in TABLES}
    return ws, result, before, after


TABLES = ["bronze/contacts", "bronze/members", "bronze/orders", "silver/customer", "silver/purchase",
          "gold/customer_measures", "quarantine/contacts"]


def _rows(spark, lake, table):
    layer, name = table.split("/")
    return spark.read.format("delta").load(lake.path(layer, name)).toPandas()


def test_the_person_and_their_interactions_are_gone_from_every_layer(forgotten):
    _, result, before, after = forgotten
    assert sorted(result.subject.record_ids) == ["contacts:1", "members:M1"]
    assert sorted(result.subject.interaction_ids()) == ["orders:O1", "orders:O2"]
    assert sorted(after["bronze/contacts"]["id"]) == ["2", "3"]
    assert list(after["bronze/members"]["member_no"]) == []
    assert sorted(after["bronze/orders"]["order_id"]) == ["O3", "O4"]
    assert sorted(after["silver/customer"]["record_id"]) == ["contacts:2", "contacts:3"]
    assert sorted(after["silver/purchase"]["record_id"]) == ["orders:O3", "orders:O4"]
    assert sorted(after["gold/customer_measures"]["record_id"]) == ["contacts:2", "contacts:3"]


def test_everyone_else_is_untouched(forgotten):
    _, result, before, after = forgotten
    for table in TABLES:
        removed = len(before[table]) - len(after[table])
        assert removed == result.rows_removed.get(table, 0), table
    bob = lambda df: df[df["record_id"] == "contacts:2"].reset_index(drop=True)  # noqa: E731
    assert bob(after["silver/customer"]).equals(bob(before["silver/customer"]))
    assert len(after["quarantine/contacts"]) == len(before["quarantine/contacts"])  # none was hers


def test_the_audit_holds_hashes_only_and_every_table_was_vacuumed(spark, forgotten, lake):
    ws, result, _, _ = forgotten
    [row] = spark.read.format("delta").load(lake.meta("forget_requests")).collect()
    assert row.identifier_hash == hashlib.sha256(f"email:{ALICE}".encode()).hexdigest()
    assert ALICE not in str(row.asDict()) and "contacts:1" not in str(row.asDict())
    assert row.rows_removed["silver/customer"] == 2 and row.retention_hours == 0
    assert row.vacuumed_tables == len(result.vacuumed) >= len(TABLES)
    for table in ("silver/customer", "bronze/contacts"):
        files = {p.name for p in Path(lake.root, table).glob("*.parquet")}
        live = set(spark.read.format("delta").load(str(Path(lake.root, table))).inputFiles())
        assert {Path(f).name for f in live} == files  # nothing but the current version is left


def test_a_resent_file_is_kept_out_of_bronze(spark, forgotten, lake):
    ws, _, _, _ = forgotten
    folder = Path(ws.source_location("members"))
    (folder / "members_2.jsonl").write_text(
        '{"member_no": "M7", "name": {"first": "Al"}, "email": "ALICE.smith@example.com", "points": 1}\n'
        '{"member_no": "M8", "name": {"first": "Zed"}, "email": "zed@example.com", "points": 2}\n'
    )
    result = land_source(spark, "members", ws.sources["members"], ws.model, str(folder), lake, region="GB")
    assert (result.rows_landed, result.rows_suppressed) == (1, 1)
    assert list(_rows(spark, lake, "bronze/members")["member_no"]) == ["M8"]
