"""Spark's Ivy resolution is recorded once and passed as files afterwards; a stale record is not used."""

from __future__ import annotations

from jobs.jar_resolution import JARS, PACKAGES, record_file, record_resolution, resolved_files, with_resolved_jars

DELTA = "io.delta:delta-spark_4.2_2.13:4.4.0"


def _jars(tmp_path, *names: str) -> list[str]:
    folder = tmp_path / "jars"
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"PK")
    return [f"file://{folder / name}" for name in names]


def test_a_start_that_resolved_is_recorded_and_the_next_one_passes_the_files(tmp_path):
    ivy = tmp_path / "ivy"
    resolved = _jars(tmp_path, "delta-spark.jar", "delta-storage.jar")
    conf = {PACKAGES: DELTA, "spark.ui.enabled": "false"}
    assert with_resolved_jars(conf, ivy) is conf  # nothing recorded: Ivy resolves
    record_resolution(conf, ",".join(resolved), ivy)
    assert resolved_files(ivy, DELTA) == resolved
    assert with_resolved_jars(conf, ivy) == {"spark.ui.enabled": "false", JARS: ",".join(resolved)}


def test_the_profiles_own_jars_stay_first_and_are_not_recorded(tmp_path):
    ivy = tmp_path / "ivy"
    [own] = _jars(tmp_path, "similarity.jar")
    resolved = _jars(tmp_path, "delta-spark.jar")
    conf = {PACKAGES: DELTA, JARS: own}
    record_resolution(conf, ",".join([own, *resolved]), ivy)
    assert resolved_files(ivy, DELTA) == resolved
    assert with_resolved_jars(conf, ivy)[JARS] == ",".join([own, *resolved])


def test_a_record_with_a_missing_file_or_of_other_packages_is_not_used(tmp_path):
    ivy = tmp_path / "ivy"
    resolved = _jars(tmp_path, "delta-spark.jar", "delta-storage.jar")
    record_resolution({PACKAGES: DELTA}, ",".join(resolved), ivy)
    other = {PACKAGES: f"{DELTA},org.apache.hadoop:hadoop-azure:3.4.2"}  # an abfss:// lake's list
    assert with_resolved_jars(other, ivy) is other
    (tmp_path / "jars" / "delta-storage.jar").unlink()  # Ivy's cache was cleaned
    assert resolved_files(ivy, DELTA) is None
    assert with_resolved_jars({PACKAGES: DELTA}, ivy) == {PACKAGES: DELTA}


def test_the_suites_session_holds_the_recorded_resolution_of_its_packages_and_loads_delta(spark, tmp_path):
    from jobs.session import delta_package, ivy_jar_dir

    recorded = resolved_files(ivy_jar_dir().parent, delta_package())
    assert recorded and any("delta-spark" in f for f in recorded), record_file(ivy_jar_dir().parent, delta_package())
    started = spark.sparkContext.getConf().get(JARS, "").split(",")
    assert set(recorded) <= set(started)
    from delta.tables import DeltaTable

    path = str(tmp_path / "t")
    spark.range(3).write.format("delta").save(path)
    assert DeltaTable.forPath(spark, path).toDF().count() == 3  # Delta's classes came with the files
    assert spark.conf.get("spark.sql.extensions") == "io.delta.sql.DeltaSparkSessionExtension"
