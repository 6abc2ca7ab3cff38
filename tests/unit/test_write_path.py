"""The one write path: a lost race is retried, the final table is one writer's whole output."""

from __future__ import annotations

import threading

import deltalake
import pandas as pd
import pytest
from pyspark.sql import functions as F

from jobs.built_from import BuiltFrom, built_from, input_versions, last_built_from, unchanged
from jobs.kpis.refresh import full_reason
from jobs.writes import append, compact, last_writer, overwrite
from schemas.tables import Lake


def _table(spark, writer: int, rows: int = 200):
    return spark.range(rows).select(F.col("id").alias("customer_id"), F.lit(writer).alias("writer"))


def test_two_writers_racing_on_a_gold_table_leave_one_writers_output(spark, lake):
    path = lake.gold("race")
    overwrite(_table(spark, 0, 5), path)
    barrier, errors = threading.Barrier(2), []

    def write(writer: int) -> None:
        try:
            barrier.wait()
            for _ in range(3):  # several rounds, so the two commits really collide
                overwrite(_table(spark, writer), path)
        except Exception as exc:  # noqa: BLE001 - a lost race must have been retried, never raised
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    final = spark.read.format("delta").load(path).toPandas()
    assert final["writer"].nunique() == 1, "rows of two writers mixed in one version"
    winner = int(final["writer"].iloc[0])
    expected = _table(spark, winner).toPandas()
    pd.testing.assert_frame_equal(final.sort_values("customer_id").reset_index(drop=True), expected)


def test_each_commit_names_its_writer_and_what_it_was_built_from(spark, lake):
    source, path = lake.silver("source"), lake.gold("target")
    overwrite(_table(spark, 1, 3), source)
    record = built_from(spark, lake, [source], threshold=0.9).with_summary(rows=3)
    assert record.inputs == {"silver/source": 0}  # by name in the lake, not by path
    overwrite(_table(spark, 1, 3), path, built=record)
    assert last_writer(spark, path) == __name__
    assert last_built_from(spark, path) == record
    assert last_built_from(spark, path).summary == {"rows": 3}
    assert unchanged(spark, path, built_from(spark, lake, [source], threshold=0.9)) is not None
    assert unchanged(spark, path, built_from(spark, lake, [source], threshold=0.8)) is None
    overwrite(_table(spark, 2, 3), source)  # a new input version: the build is stale
    assert unchanged(spark, path, built_from(spark, lake, [source], threshold=0.9)) is None
    overwrite(_table(spark, 2, 3), path, built=BuiltFrom({source: 1}))  # a record from before names
    assert last_built_from(spark, path, lake) == BuiltFrom({"silver/source": 1})
    assert last_built_from(spark, path).inputs == {source: 1}


def test_a_record_survives_the_round_trip_through_json():
    record = BuiltFrom({"a": 3, "b": None}, {"when": "2026-01-01", "nested": {"x": [1, 2]}})
    assert BuiltFrom.from_dict(record.to_dict()) == record
    assert record.fingerprint() == BuiltFrom.from_dict(record.to_dict()).fingerprint()


def test_old_records_keyed_by_path_are_read_by_name_under_the_lake_root_and_otherwise_said_to_differ():
    old = BuiltFrom({"/lakes/a/silver/purchase": 3, "/lakes/a/gold/customer_ids": None}, {"as_of": "2026-06-30"})
    now = BuiltFrom({"silver/purchase": 3, "gold/customer_ids": None}, {"as_of": "2026-06-30"})
    assert old.named(Lake("/lakes/a/")) == now  # the lake the record was written in
    moved = old.named(Lake("/lakes/b"))
    assert moved != now
    assert now.differences(moved) == [
        "input gold/customer_ids was recorded as /lakes/a/gold/customer_ids, a path not under this lake's root "
        "(moved or copied)",
        "input silver/purchase was recorded as /lakes/a/silver/purchase, a path not under this lake's root "
        "(moved or copied)"]
    later = BuiltFrom({"silver/purchase": 5, "gold/customer_ids": 0, "silver/visit": None}, {"as_of": "2026-07-01"})
    assert later.differences(now) == ["input gold/customer_ids appeared since the last build",
                                      "input silver/purchase at version 3, now 5", "input silver/visit is new",
                                      "definition as_of changed"]
    assert now.differences(BuiltFrom({"silver": 3}, now.definitions)) == [
        "input gold/customer_ids is new", "input silver/purchase is new",
        "the last build keyed inputs as silver (before inputs were named <layer>/<name>)"]
    assert full_reason(moved, now, full=False).startswith(
        "the input tables changed: input gold/customer_ids was recorded as /lakes/a/gold/customer_ids")
    resolved = BuiltFrom({"silver/purchase": 3, "gold/customer_ids": 2}, now.definitions)
    assert full_reason(now, resolved, full=False) == (
        "identity resolution output gold/customer_ids appeared (version 2; absent at the last run)")
    with pytest.raises(ValueError, match="not under the lake root"):
        input_versions(Lake("/lakes/b"), ["/lakes/a/silver/purchase"], lambda path: 1)


def test_an_append_once_says_whether_this_call_committed(spark, lake):
    path = lake.gold("once")
    rows = spark.range(4)
    assert append(rows, path, once=("test:once", 1)) is True
    assert append(rows, path, once=("test:once", 1)) is False  # the pair committed already: skipped
    assert append(rows, path, once=("test:once", 2)) is True and append(rows, path) is True
    assert deltalake.DeltaTable(path).to_pandas()["id"].value_counts().to_dict() == {0: 3, 1: 3, 2: 3, 3: 3}


def test_a_fragmented_table_is_compacted_past_the_threshold_only(spark, lake):
    path = lake.bronze("fragments")
    for batch in range(3):
        append(_table(spark, batch, 50).repartition(2), path)
    files = len(deltalake.DeltaTable(path).file_uris())
    assert files == 6
    version = deltalake.DeltaTable(path).version()
    assert not compact(spark, path, min_files=files)  # at the threshold: no Spark job, no commit
    assert deltalake.DeltaTable(path).version() == version
    assert compact(spark, path, min_files=files - 1)
    table = deltalake.DeltaTable(path)
    assert len(table.file_uris()) == 1 and table.version() == version + 1
    assert table.history(1)[0]["operation"] == "OPTIMIZE"
    assert last_writer(spark, path) == __name__  # the compaction names the module that asked for it
    assert spark.read.format("delta").load(path).count() == 150
    assert not compact(spark, lake.bronze("missing"))
