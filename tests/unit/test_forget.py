"""Forgetting people on the mini workspace: queued, erased together, complete after the vacuum."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import deltalake
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F

from jobs.bronze import land_source
from jobs.customer_measures import customer_measures
from jobs.privacy.completion import complete_requests
from jobs.privacy.erase import KIND, VALUE, raw_holds
from jobs.privacy.forget import forget_now, forget_pending, queue
from jobs.privacy.forget_requests import Ask
from jobs.privacy.forget_status import render, statuses
from jobs.privacy.presence import holds_any, raw_may_hold
from jobs.privacy.request_file import RequestFileError, read_request_file
from jobs.silver import build_silver
from schemas.tables import RAW_COL, Lake
from tests.unit.mini import mini_workspace

ALICE = "alice.smith@example.com"  # contacts:1 (as ' Alice.Smith@Example.COM ') and members:M1
BOB = "+442079460018"  # contacts:2 (as '+44 20 7946 0018'), order O3
TABLES = ["bronze/contacts", "bronze/members", "bronze/orders", "silver/customer", "silver/purchase",
          "gold/customer_measures", "quarantine/contacts"]


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    return Lake(str(tmp_path_factory.mktemp("forget") / "lake"))


def _audit(spark, lake):
    return {r.request_id: r for r in spark.read.format("delta").load(lake.meta("forget_requests")).collect()}


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
    asks = [Ask("email", "ALICE.SMITH@example.com "), Ask("phone", "+44 20 7946 0018"), Ask("email", "zed@example.com")]
    ids = queue(spark, ws, lake, asks, retention_hours=0)
    queued = _audit(spark, lake)
    result = forget_pending(spark, ws, lake)
    after = {t: _rows(spark, lake, t) for t in TABLES}
    erased = _audit(spark, lake)
    return ws, ids, queued, result, before, after, erased


def _rows(spark, lake, table):
    layer, name = table.split("/")
    return spark.read.format("delta").load(lake.path(layer, name)).toPandas()


def test_requests_wait_in_the_queue_normalised_until_the_batch(forgotten):
    _, ids, queued, _, before, _, _ = forgotten
    assert [queued[i].status for i in ids] == ["queued"] * 3
    assert [queued[i].identifier for i in ids] == [ALICE, BOB, "zed@example.com"]
    assert queued[ids[0]].identifier_hash == hashlib.sha256(f"email:{ALICE}".encode()).hexdigest()
    assert "contacts:1" in set(before["silver/customer"]["record_id"])  # nothing erased by queueing


def test_one_batch_finds_each_person_and_erases_them_from_every_layer(forgotten):
    _, ids, _, result, _, after, _ = forgotten
    alice, bob, nobody = (result.subjects[i] for i in ids)
    assert sorted(alice.record_ids) == ["contacts:1", "members:M1"]
    assert sorted(alice.interaction_ids()) == ["orders:O1", "orders:O2"]
    assert sorted(bob.record_ids) == ["contacts:2"] and sorted(bob.interaction_ids()) == ["orders:O3"]
    assert not nobody.found
    assert sorted(after["bronze/contacts"]["id"]) == ["3"]
    assert list(after["bronze/members"]["member_no"]) == []
    assert sorted(after["bronze/orders"]["order_id"]) == ["O4"]
    assert sorted(after["silver/customer"]["record_id"]) == ["contacts:3"]
    assert sorted(after["silver/purchase"]["record_id"]) == ["orders:O4"]
    assert sorted(after["gold/customer_measures"]["record_id"]) == ["contacts:3"]


def test_everyone_else_is_untouched_and_counts_come_from_the_merge(forgotten):
    _, _, _, result, before, after, _ = forgotten
    for table in TABLES:
        assert len(before[table]) - len(after[table]) == result.rows_removed.get(table, 0), table
    carol = lambda df: df[df["record_id"] == "contacts:3"].reset_index(drop=True)  # noqa: E731
    assert carol(after["silver/customer"]).equals(carol(before["silver/customer"]))
    assert len(after["quarantine/contacts"]) == len(before["quarantine/contacts"])  # none was theirs


def test_after_the_batch_the_audit_holds_hashes_only(forgotten):
    _, ids, _, result, _, _, erased = forgotten
    rows = [erased[i] for i in ids]
    assert [r.status for r in rows] == ["erased"] * 3 and all(r.identifier is None for r in rows)
    assert {r.batch_id for r in rows} == {result.batch_id}
    text = str([r.asDict() for r in rows])
    assert ALICE not in text and BOB not in text and "contacts:1" not in text
    assert hashlib.sha256(b"record:contacts:1").hexdigest() in rows[0].subject_hashes
    assert rows[2].subject_hashes == [hashlib.sha256(b"email:zed@example.com").hexdigest()]  # kept out later
    assert rows[0].rows_removed["silver/customer"] == 3
    assert "meta/forget_requests" in rows[0].tables and "gold/customer_measures" in rows[0].tables


def test_the_vacuum_makes_them_complete_and_leaves_no_old_file(spark, forgotten, lake):
    _, ids, _, _, _, _, _ = forgotten
    customers = Path(lake.root, "silver/customer")
    orphan = customers / "part-00000-crashed-write.snappy.parquet"  # a write that died before its commit
    orphan.write_bytes(next(customers.glob("*.parquet")).read_bytes())
    changes = sorted(customers.glob("_change_data/*.parquet"))
    assert changes  # the erase's MERGE wrote its change data (silver keeps a change feed)
    done = complete_requests(spark, lake, retention_hours=0)
    assert sorted(done.completed) == sorted(ids) and done.waiting == 0
    assert "silver/customer" in done.vacuumed and "silver/purchase" in done.vacuumed
    assert "bronze/members" in done.vacuumed and "quarantine/contacts" not in done.vacuumed  # untouched
    audit = _audit(spark, lake)
    assert {audit[i].status for i in ids} == {"complete"}
    for table in ("silver/customer", "bronze/contacts"):
        files = {p.name for p in Path(lake.root, table).glob("*.parquet")}
        live = set(spark.read.format("delta").load(str(Path(lake.root, table))).inputFiles())
        assert {Path(f).name for f in live} == files  # nothing but the current version is left
        checksums = {p.name for p in Path(lake.root, table).glob(".*.parquet.crc")}
        assert checksums <= {f".{name}.crc" for name in files}  # no checksum of a deleted file either
    assert not orphan.exists() and not any(c.exists() for c in changes)
    for file in Path(lake.root, "meta/forget_requests").glob("*.parquet"):  # the queue's old versions too
        assert ALICE not in str(pq.read_table(file).to_pylist()), file
    for log in Path(lake.root, "meta/forget_requests/_delta_log").glob("*.json"):  # no statistics of it
        assert ALICE not in log.read_text(), log
    report = render(statuses([r.asDict() for r in audit.values()]))
    assert report.startswith("3 requests: 0 queued, 0 erased, 3 complete") and ALICE not in report


def test_a_waiting_retention_keeps_requests_erased(spark, forgotten, lake):
    ws, _, _, _, _, _, _ = forgotten
    result = forget_now(spark, ws, lake, [Ask("customer", "contacts:3")], retention_hours=24)
    [request] = result.subjects
    assert sorted(result.subject.record_ids) == ["contacts:3"] and result.rows_removed["silver/customer"] == 1
    assert result.completion.completed == [] and result.completion.waiting == 1
    path = lake.silver("customer")
    erase = deltalake.DeltaTable(path).history(1)[0]
    assert erase["operation"] == "MERGE"  # the vacuum deleted nothing within the 24 hours: no commit of its own
    before = deltalake.DeltaTable(path, version=erase["version"] - 1).to_pandas()
    assert "contacts:3" in set(before["record_id"])  # time travel still reaches the version before the erase
    assert _audit(spark, lake)[request].status == "erased"
    assert complete_requests(spark, lake, retention_hours=24).completed == []


def test_a_resent_file_is_kept_out_of_bronze(spark, forgotten, lake):
    ws, _, _, _, _, _, _ = forgotten
    folder = Path(ws.source_location("members"))
    (folder / "members_2.jsonl").write_text(
        '{"member_no": "M7", "name": {"first": "Al"}, "email": "ALICE.smith@example.com", "points": 1}\n'
        '{"member_no": "M8", "name": {"first": "Zed"}, "email": "zed@example.com", "points": 2}\n'
        '{"member_no": "M9", "name": {"first": "Yan"}, "email": "yan@example.com", "points": 3}\n'
    )
    result = land_source(spark, "members", ws.sources["members"], ws.model, str(folder), lake, region="GB")
    assert (result.rows_landed, result.rows_suppressed) == (1, 2)  # zed asked too, though not found then
    assert list(_rows(spark, lake, "bronze/members")["member_no"]) == ["M9"]


# Quarantined raw text that a cheap precheck could misread: CSV quotes, JSON escapes and numbers, non-ASCII.
TRICKY_RAW = ["1,Al,al@x.com,+44 20 7946 0018", '"4""2",Zed,zed@x.com', '{"member_no": "M\\u0031"}',
              '{"member_no": "M7", "n": 1}', '{"member_no": 1e3}', "\u00dcn\u00ef,ALICE@X.COM",
              '{"member_no": " M8 "}', "9,nobody", None]
NEEDLES = [("email", "al@x.com"), ("email", "alice@x.com"), ("digits", "2079460018"), ("key", "42"),
           ("key", "M1"), ("key", "M7"), ("key", "M8"), ("key", "1000.0"), ("key", "9"), ("key", "nobody")]


def test_the_raw_text_precheck_never_misses_a_row_the_erase_would_match(spark, forgotten, tmp_path):
    ws = forgotten[0]
    paths = []
    for i, raw in enumerate(TRICKY_RAW):
        paths.append(str(tmp_path / f"q{i}"))
        deltalake.write_deltalake(paths[-1], pa.table({RAW_COL: pa.array([raw], pa.string())}))
    rows = spark.createDataFrame([(r,) for r in TRICKY_RAW], f"{RAW_COL} string").alias("t")
    needles = spark.createDataFrame(NEEDLES, f"{KIND} string, {VALUE} string").alias("s")
    ruled_out = 0
    for name in ("contacts", "members"):  # a CSV source and a JSON one
        matched = {(r[RAW_COL], r[KIND], r[VALUE])
                   for r in rows.crossJoin(needles).where(raw_holds(ws.sources[name])).collect()}
        assert ("1,Al,al@x.com,+44 20 7946 0018", "digits", "2079460018") in matched and len(matched) >= 4
        for raw, path in zip(TRICKY_RAW, paths, strict=True):
            for kind, value in NEEDLES:
                given = {k: [value] if k == kind else [] for k in ("email", "digits", "key")}
                may = raw_may_hold(path, RAW_COL, given["email"], given["digits"], given["key"])
                assert may or (raw, kind, value) not in matched, (name, raw, kind, value)
                ruled_out += not may
    assert ruled_out > len(NEEDLES)  # the precheck spares most MERGEs


# Phones as sources spell them: trunk prefixes, international prefixes, extensions, letters, other scripts.
PHONES = ["+44 20 7946 0018", "020 7946 0018", "0044 (0)20 7946-0018", "07911 123456", "+1 (212) 555-0100 x12",
          "1-800-FLOWERS", "\uff10\uff17\uff19\uff11\uff11 123456", "tel:+44-20-7946-0019", "+353 87 123 4567",
          "087 123 4567", "+54 9 11 4123-4567", "011 15 4123-4567", "  ", None]


def test_the_bronze_phone_precheck_passes_every_spelling_that_normalises_to_a_wanted_phone(spark):
    from jobs.normalize import phone
    from jobs.privacy.erase import may_be_phone

    rows = spark.createDataFrame([(p,) for p in PHONES], "raw string")
    normal = {r.raw: r.e164 for r in rows.select("raw", phone(F.col("raw"), "GB").alias("e164")).collect()}
    wanted = sorted({e for e in normal.values() if e})
    assert len(wanted) >= 5  # most spellings are numbers
    checked = rows.select("raw", may_be_phone(F.col("raw"), wanted).alias("may")).collect()
    missed = [r.raw for r in checked if normal[r.raw] in wanted and not r.may]
    assert missed == []
    others = rows.select(may_be_phone(F.col("raw"), ["+447000000999"]).alias("may")).collect()
    assert sum(bool(r.may) for r in others) <= 4  # only the spellings with letters or other digits pass


def test_a_keyed_table_is_searched_only_where_its_keys_hold_someone(tmp_path):
    path = str(tmp_path / "keyed")
    deltalake.write_deltalake(path, pa.table({"record_id": ["a:1", "a:2"], "tags": [["x"], ["y"]], "n": [1, 2]}))
    assert holds_any(path, ["record_id"], ["a:2", "b:9"]) is True
    assert holds_any(path, ["record_id", "n"], ["a:3"]) is False
    assert holds_any(path, ["record_id", "tags"], ["x"]) is None  # nested: searched as JSON text by the MERGE
    assert holds_any(str(tmp_path / "none"), ["record_id"], ["a:1"]) is False


def test_a_request_file_gives_one_request_per_row(tmp_path):
    path = tmp_path / "requests.csv"
    path.write_text("email,phone\nA@x.com,\n,+44 20 7946 0018\n\n")
    assert read_request_file(path) == [Ask("email", "A@x.com"), Ask("phone", "+44 20 7946 0018")]
    path.write_text("customer\nC1\nC2\n")
    assert [a.value for a in read_request_file(path)] == ["C1", "C2"]


@pytest.mark.parametrize("text, message", [
    ("name\nAl\n", "row 1: the header must name identifier kinds"),
    ("email,phone\na@x.com,+441\n", "row 2: give exactly one of email, phone (found 2)"),
    ("email\na@x.com\nb@x.com,extra\n", "row 3: 2 fields, the header has 1"),
    ("email\n", "no request after the header"),
])
def test_a_bad_request_file_names_the_file_and_row(tmp_path, text, message):
    path = tmp_path / "requests.csv"
    path.write_text(text)
    with pytest.raises(RequestFileError, match=re.escape(message)) as error:
        read_request_file(path)
    assert str(path) in str(error.value)


def test_the_batch_is_an_asset_named_after_its_table_with_a_stopped_schedule(tmp_path):
    import dagster as dg

    from orchestration.assets.forget_requests import forget_assets, forget_schedules
    from orchestration.build import ASSET_FACTORIES, SCHEDULE_FACTORIES

    ws = mini_workspace(tmp_path)
    [asset] = forget_assets(ws)
    assert asset.key == dg.AssetKey(["meta", "forget_requests"]) and forget_assets in ASSET_FACTORIES
    [schedule] = forget_schedules(ws)
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED and forget_schedules in SCHEDULE_FACTORIES
