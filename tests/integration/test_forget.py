"""`insights forget`: after it, no table of the lake, in any version that remains, holds the person.

Runs on a copy of the example's materialised lake (bronze, silver, every gold table, the
quarantine), with retention 0 so that the vacuum it performs leaves no older file behind.
The person and what belongs to them are worked out here independently (ground truth plus
delta-rs reads), then searched for in every table version, every data file and the logs.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import deltalake
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from insights.cli import main
from tests.integration.conftest import delta_tables

pytestmark = pytest.mark.integration


def read(lake: Path, table: str) -> pd.DataFrame:
    return deltalake.DeltaTable(str(lake / table)).to_pandas()


def choose_person(example) -> dict:
    """A person with several records (all under one customer_id), an email and interactions."""
    lake = example.lake
    records = pd.read_csv(example.truth / "records.csv")
    ids = read(lake, "gold/customer_ids")[["record_id", "customer_id"]]
    customers = read(lake, "silver/customer").set_index("record_id")
    people = records.merge(ids, on="record_id")
    for person, group in people.groupby("person_id"):
        emails = customers.loc[customers.index.intersection(group["record_id"]), "email"].dropna()
        if len(group) < 2 or group["customer_id"].nunique() != 1 or emails.empty:
            continue
        if len(ids[ids["customer_id"] == group["customer_id"].iloc[0]]) != len(group):
            continue  # identity resolution put someone else under the same ID
        person_records = set(group["record_id"])
        phones = customers.loc[list(person_records & set(customers.index)), "phone"].dropna()
        found = {
            "person_id": person,
            "email": emails.iloc[0],
            "emails": set(emails),
            "phones": set(phones),
            "records": person_records,
            "customer_id": group["customer_id"].iloc[0],
        }
        found["interactions"] = interactions_of(lake, found)
        if len(found["interactions"]) >= 3:
            return found
    raise AssertionError("no suitable person in the tiny example")


def interactions_of(lake: Path, person: dict) -> set[str]:
    """Interaction record_ids linked to the person's records or carrying their email or phone."""
    found = set()
    for table in ("purchase", "purchase_line", "web_visit", "support_case", "survey_response"):
        rows = read(lake, f"silver/{table}")
        hit = pd.Series(False, index=rows.index)
        for column in rows.columns:
            if column.endswith("_record_id") and column != "record_id":
                hit |= rows[column].isin(person["records"])
        for column, values in (("email", person["emails"]), ("phone", person["phones"])):
            if column in rows:
                hit |= rows[column].isin(values)
        found |= set(rows.loc[hit, "record_id"])
    return found


def needles(person: dict, table: str = "") -> list[str]:
    """What must not be found afterwards: IDs, emails, phones; in bronze and quarantine (which
    hold rows as the sources wrote them) also the source keys of the person's rows."""
    values = {*person["records"], *person["interactions"], *person["emails"], *person["phones"], person["customer_id"]}
    if table.startswith(("bronze", "quarantine")):
        values |= {v.split(":", 1)[1] for v in (*person["records"], *person["interactions"])}
    return sorted(v for v in values if v)


def holders(frame: pd.DataFrame, values: list[str]) -> list[str]:
    """'column: value' for every cell (as text, case-insensitive) containing one of the values."""
    hits = []
    lowered = [v.lower() for v in values]
    for column in frame.columns:
        text = frame[column].astype(str).str.lower()
        for value in lowered:
            if text.str.contains(value, regex=False).any():
                hits.append(f"{column}: {value}")
    return hits


@pytest.fixture(scope="module")
def forgotten(example, tmp_path_factory, spark):
    lake = tmp_path_factory.mktemp("forget") / "lake"
    shutil.copytree(example.lake, lake, ignore=shutil.ignore_patterns("mlflow"))
    person = choose_person(example)
    before = {name: deltalake.DeltaTable(str(path)).version() for name, path in delta_tables(str(lake)).items()}
    result = CliRunner().invoke(main, [
        "forget", "--email", person["email"].upper(), "--workspace", example.env.workspace_dir,
        "--lake", str(lake), "--profile", "test", "--retention-hours", "0",
    ])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return lake, person, before, result.output


def test_the_person_was_in_every_layer_before(example, forgotten):
    _, person, _, _ = forgotten
    for table in ("silver/customer", "gold/customer_ids", "gold/golden_customer"):
        assert holders(read(example.lake, table), needles(person, table)), table
    bronze = [t for t in delta_tables(str(example.lake)) if t.startswith("bronze/")]
    assert any(holders(read(example.lake, t), needles(person, t)) for t in bronze)


def test_no_table_version_holds_the_person_after_forget(forgotten):
    lake, person, before, output = forgotten
    assert "rows removed" in output
    for name, path in delta_tables(str(lake)).items():
        values = needles(person, name)
        table = deltalake.DeltaTable(str(path))
        assert not holders(table.to_pandas(), values), f"{name} (current version)"
        for version in range(table.version() + 1):
            try:
                old = deltalake.DeltaTable(str(path), version=version).to_pandas()
            except (OSError, deltalake.exceptions.DeltaError) as gone:  # vacuumed: files deleted
                assert "not found" in str(gone).lower() or "no such file" in str(gone).lower(), gone
                continue
            assert not holders(old, values), f"{name} version {version} still holds the person"


def test_no_data_file_on_disk_holds_the_person(forgotten):
    lake, person, _, _ = forgotten
    files = [p for p in lake.rglob("*.parquet") if "_delta_log" not in p.parts]
    assert files
    for file in files:
        table = str(file.relative_to(lake))
        assert not holders(pq.read_table(file).to_pandas(), needles(person, table)), file


def test_spark_time_travel_cannot_bring_the_person_back(forgotten, spark):
    lake, person, before, _ = forgotten
    for name in ("silver/customer", "bronze/crm_contacts", "gold/customer_ids"):
        values, path = needles(person, name), str(lake / name)
        for version in range(before[name] + 1):  # every version the pipeline wrote
            try:
                rows = spark.read.format("delta").option("versionAsOf", version).load(path).toPandas()
            except Exception as gone:  # noqa: BLE001 - Spark wraps the missing file in its own errors
                assert "does not exist" in str(gone) or "FileNotFound" in str(gone), str(gone)[:500]
                continue
            assert not holders(rows, values), f"{name} version {version}"


def test_the_delta_logs_hold_no_email_or_phone(forgotten):
    lake, person, _, _ = forgotten
    contacts = [v.lower() for v in (*person["emails"], *person["phones"])]
    for log in lake.rglob("_delta_log/*"):
        if log.is_file() and log.suffix in (".json", ".crc"):
            text = log.read_text(errors="replace").lower()
            assert not [v for v in contacts if v in text], log


def test_the_request_is_audited_without_personal_data(forgotten):
    lake, person, _, _ = forgotten
    audit = read(lake, "meta/forget_requests")
    [row] = audit.to_dict("records")
    expected = hashlib.sha256(f"email:{person['email']}".encode()).hexdigest()
    assert row["identifier_kind"] == "email" and row["identifier_hash"] == expected
    assert row["total_rows_removed"] > 0 and "silver/customer" in list(row["tables"])
    assert not holders(audit, needles(person))
    assert row["retention_hours"] == 0 and row["vacuumed_tables"] > 10


def test_a_resent_file_does_not_bring_the_person_back(forgotten, example, spark):
    from jobs.bronze import land_source
    from schemas.loader import load_workspace
    from schemas.tables import Lake

    lake, person, _, _ = forgotten
    ws = load_workspace(example.env.workspace_dir)
    folder = Path(ws.source_location("crm_contacts"))
    [original] = sorted(folder.glob("*.csv"))
    contacts = pd.read_csv(original, dtype=str, on_bad_lines="skip")
    mine = contacts["contact_id"].isin({r.split(":", 1)[1] for r in person["records"] if r.startswith("crm_contacts:")})
    resent = folder / "resent_contacts.csv"
    shutil.copy(original, resent)
    try:
        result = land_source(spark, "crm_contacts", ws.sources["crm_contacts"], ws.model, str(folder),
                             Lake(str(lake)), region=ws.settings.defaults.country)
    finally:
        resent.unlink()
    assert result.rows_suppressed == int(mine.sum()) > 0
    assert not holders(read(lake, "bronze/crm_contacts"), needles(person, "bronze/crm_contacts"))
