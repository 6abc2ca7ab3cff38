"""Table versions read from _delta_log's commit names agree with delta-rs, and cost no Spark job."""

from __future__ import annotations

import deltalake

from jobs.delta import table_version
from jobs.lake import previous_row_count


def test_versions_follow_commits_and_missing_tables_have_none(spark, tmp_path):
    path = str(tmp_path / "t")
    assert table_version(spark, path) is None
    (tmp_path / "empty" / "_delta_log").mkdir(parents=True)  # a first commit that never happened
    assert table_version(spark, str(tmp_path / "empty")) is None
    assert previous_row_count(spark, path) is None

    interval = "spark.databricks.delta.properties.defaults.checkpointInterval"
    spark.conf.set(interval, "3")  # checkpoints and checksums share the commits' names
    try:
        for rows in range(1, 6):
            spark.range(rows).write.format("delta").mode("overwrite").save(path)
    finally:
        spark.conf.unset(interval)
    assert list((tmp_path / "t" / "_delta_log").glob("*.checkpoint.parquet"))
    spark.sparkContext.setJobGroup("versions", "table_version must not run a job")
    try:
        version = table_version(spark, path)
        jobs = spark.sparkContext.statusTracker().getJobIdsForGroup("versions")
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    assert version == deltalake.DeltaTable(path).version() == 4
    assert jobs == []
    assert previous_row_count(spark, path) == 4  # version 3's rows, by time travel
