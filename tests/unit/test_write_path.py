"""The one write path: a lost race is retried, the final table is one writer's whole output."""

from __future__ import annotations

import threading

import deltalake
import pandas as pd
from pyspark.sql import functions as F

from jobs.built_from import BuiltFrom, built_from, last_built_from, unchanged
from jobs.writes import append, last_writer, overwrite


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
    record = built_from(spark, {"source": source}, threshold=0.9).with_summary(rows=3)
    overwrite(_table(spark, 1, 3), path, built=record)
    assert last_writer(spark, path) == __name__
    assert last_built_from(spark, path) == record
    assert last_built_from(spark, path).summary == {"rows": 3}
    assert unchanged(spark, path, built_from(spark, {"source": source}, threshold=0.9)) is not None
    assert unchanged(spark, path, built_from(spark, {"source": source}, threshold=0.8)) is None
    overwrite(_table(spark, 2, 3), source)  # a new input version: the build is stale
    assert unchanged(spark, path, built_from(spark, {"source": source}, threshold=0.9)) is None


def test_a_record_survives_the_round_trip_through_json():
    record = BuiltFrom({"a": 3, "b": None}, {"when": "2026-01-01", "nested": {"x": [1, 2]}})
    assert BuiltFrom.from_dict(record.to_dict()) == record
    assert record.fingerprint() == BuiltFrom.from_dict(record.to_dict()).fingerprint()


def test_an_append_once_says_whether_this_call_committed(spark, lake):
    path = lake.gold("once")
    rows = spark.range(4)
    assert append(rows, path, once=("test:once", 1)) is True
    assert append(rows, path, once=("test:once", 1)) is False  # the pair committed already: skipped
    assert append(rows, path, once=("test:once", 2)) is True and append(rows, path) is True
    assert deltalake.DeltaTable(path).to_pandas()["id"].value_counts().to_dict() == {0: 3, 1: 3, 2: 3, 3: 3}
