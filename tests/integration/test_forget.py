"""`insights forget`: queued people, erased in one batch, gone from every version after the vacuum.

Runs on a copy of the example's materialised lake (bronze, silver, every gold table, the
quarantine). Three people are queued (by email on the command line, by customer ID and by
phone in a request file), the meta/forget_requests asset erases them together, and the daily
vacuum's function (retention 0, as queued) makes them complete. The people and what belongs
to them are worked out here independently (ground truth plus delta-rs reads), then searched
for in every table version, every data file and the logs; everyone else's rows must be
exactly as they were.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import dagster as dg
import deltalake
import pandas as pd
import phonenumbers
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from insights.cli import main
from tests.integration.conftest import delta_tables
from tests.integration.fingerprints import frame_fingerprint

pytestmark = pytest.mark.integration
PEOPLE = 3


def read(lake: Path, table: str) -> pd.DataFrame:
    return deltalake.DeltaTable(str(lake / table)).to_pandas()


def choose_people(example, count: int = PEOPLE) -> list[dict]:
    """People with several records (all under one customer_id, theirs alone), an email and interactions."""
    lake = example.lake
    records = pd.read_csv(example.truth / "records.csv")
    ids = read(lake, "gold/customer_ids")[["record_id", "customer_id"]]
    customers = read(lake, "silver/customer").set_index("record_id")
    people = records.merge(ids, on="record_id")
    chosen: list[dict] = []
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
        if len(found["interactions"]) >= 3 and (chosen or found["phones"]):
            chosen.append(found)
        if len(chosen) == count:
            return chosen
    raise AssertionError(f"fewer than {count} suitable people in the tiny example")


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


def needles(people: list[dict], table: str = "") -> list[str]:
    """What must not be found afterwards: IDs, emails, phones; in bronze and quarantine (which
    hold rows as the sources wrote them) also the source keys of the people's rows."""
    values = set()
    for person in people:
        values |= {*person["records"], *person["interactions"], *person["emails"], *person["phones"],
                   person["customer_id"]}
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


def theirs(frame: pd.DataFrame, values: list[str], phones: list[str] = ()) -> pd.Series:
    """Rows with a cell holding one of the values as a whole token (IDs are fixed width), or,
    with phones (quarantine: raw text), a cell whose digits hold a phone's national number."""
    token = re.compile("(?<![0-9a-z_.])(?:" + "|".join(map(re.escape, (v.lower() for v in values))) + ")(?![0-9a-z_])")
    national = [phonenumbers.national_significant_number(phonenumbers.parse(p)) for p in phones]
    hit = pd.Series(False, index=frame.index)
    for column in frame.columns:
        text = frame[column].astype(str).str.lower()
        hit |= text.str.contains(token)
        for digits in national:
            hit |= text.str.replace(r"[^0-9]", "", regex=True).str.contains(digits, regex=False)
    return hit


def rows_of(people: list[dict], name: str, frame: pd.DataFrame) -> pd.Series:
    """The rows of a table that belong to the people."""
    phones = [p for person in people for p in person["phones"]] if name.startswith("quarantine") else []
    return theirs(frame, needles(people, name), phones)


@pytest.fixture(scope="module")
def forgotten(example, tmp_path_factory, spark):
    from orchestration.assets.forget_requests import forget_assets
    from orchestration.resources import LakeResource, SparkResource
    from schemas.loader import load_workspace

    lake = tmp_path_factory.mktemp("forget") / "lake"
    shutil.copytree(example.lake, lake, ignore=shutil.ignore_patterns("mlflow"))
    people = choose_people(example)
    tables = delta_tables(str(lake))
    before = {name: deltalake.DeltaTable(str(path)).version() for name, path in tables.items()}
    frames = {name: deltalake.DeltaTable(str(path)).to_pandas() for name, path in tables.items()}
    requests = lake.parent / "requests.csv"
    requests.write_text(f"customer,phone\n,{sorted(people[0]['phones'])[0]}\n{people[2]['customer_id']},\n")
    where = ["--workspace", example.env.workspace_dir, "--lake", str(lake), "--profile", "test"]
    for given in (["--email", people[1]["email"].upper()], ["--file", str(requests)]):
        queued = CliRunner().invoke(main, ["forget", *given, *where, "--retention-hours", "0"])
        assert queued.exit_code == 0 and "queued" in queued.output, queued.output + repr(queued.exception)
    status = {"queued": CliRunner().invoke(main, ["forget", "--status", *where]).output}
    workspace = load_workspace(example.env.workspace_dir)
    run = dg.materialize(forget_assets(workspace), resources={
        "spark": SparkResource(profile="test"), "lake": LakeResource(root=str(lake))})
    assert run.success
    [materialized] = run.asset_materializations_for_node("meta__forget_requests")
    after = {name: deltalake.DeltaTable(str(path)).to_pandas() for name, path in delta_tables(str(lake)).items()}
    status["erased"] = CliRunner().invoke(main, ["forget", "--status", *where]).output
    from jobs.privacy.completion import complete_requests
    from schemas.tables import Lake

    completion = complete_requests(spark, Lake(str(lake)), retention_hours=0)  # the daily vacuum's work
    status["complete"] = CliRunner().invoke(main, ["forget", "--status", *where]).output
    return Forgotten(lake, people, before, frames, after, materialized.metadata, status, completion)


class Forgotten:
    """What the fixture did: the lake, the people, the tables before and after, statuses."""

    def __init__(self, lake, people, before, frames, after, metadata, status, completion):
        self.lake, self.people, self.before, self.frames, self.after = lake, people, before, frames, after
        self.metadata, self.status, self.completion = metadata, status, completion


def test_the_people_were_in_every_layer_before(example, forgotten):
    people = forgotten.people
    for table in ("silver/customer", "gold/customer_ids", "gold/golden_customer"):
        for person in people:
            assert holders(read(example.lake, table), needles([person], table)), table
    bronze = [t for t in delta_tables(str(example.lake)) if t.startswith("bronze/")]
    assert any(holders(read(example.lake, t), needles(people, t)) for t in bronze)


def test_the_batch_removes_exactly_their_rows_and_leaves_everyone_else_unchanged(forgotten):
    assert set(forgotten.after) == set(forgotten.frames) | {"meta/forget_requests"}
    for name, before in forgotten.frames.items():
        after, values = forgotten.after[name], needles(forgotten.people, name)
        mine = rows_of(forgotten.people, name, before)
        assert not holders(after, values), f"{name} (latest version)"
        assert len(after) == len(before) - int(mine.sum()), name
        assert frame_fingerprint(after) == frame_fingerprint(before[~mine]), f"{name}: others' rows changed"
    metadata = {k: v.value for k, v in forgotten.metadata.items()}
    assert metadata["requests_applied"] == metadata["people_found"] == PEOPLE
    assert metadata["requests_erased"] == PEOPLE and metadata["requests_queued"] == 0
    assert metadata["rows_removed"] == sum(
        int(rows_of(forgotten.people, n, f).sum()) for n, f in forgotten.frames.items())


def test_each_request_shows_its_status_without_personal_data(forgotten):
    status = forgotten.status
    assert status["queued"].startswith(f"{PEOPLE} requests: {PEOPLE} queued, 0 erased, 0 complete")
    assert status["erased"].startswith(f"{PEOPLE} requests: 0 queued, {PEOPLE} erased, 0 complete")
    assert status["complete"].startswith(f"{PEOPLE} requests: 0 queued, 0 erased, {PEOPLE} complete")
    assert "unrecoverable since the vacuum at" in status["complete"]
    for text in status.values():
        assert not holders(pd.DataFrame({"out": [text]}), needles(forgotten.people))
    assert len(forgotten.completion.completed) == PEOPLE
    assert len(forgotten.completion.vacuumed) < len(forgotten.after) - 5  # only the tables touched


def test_no_table_version_holds_the_people_after_the_vacuum(forgotten):
    for name, path in delta_tables(str(forgotten.lake)).items():
        values = needles(forgotten.people, name)
        table = deltalake.DeltaTable(str(path))
        assert not holders(table.to_pandas(), values), f"{name} (current version)"
        for version in range(table.version() + 1):
            try:
                old = deltalake.DeltaTable(str(path), version=version).to_pandas()
            except (OSError, deltalake.exceptions.DeltaError) as gone:  # vacuumed: files deleted
                assert "not found" in str(gone).lower() or "no such file" in str(gone).lower(), gone
                continue
            assert not holders(old, values), f"{name} version {version} still holds them"


def test_no_data_file_on_disk_holds_the_people(forgotten):
    lake = forgotten.lake
    files = [p for p in lake.rglob("*.parquet") if "_delta_log" not in p.parts]
    assert files
    for file in files:
        table = str(file.relative_to(lake))
        assert not holders(pq.read_table(file).to_pandas(), needles(forgotten.people, table)), file


def test_spark_time_travel_cannot_bring_them_back(forgotten, spark):
    for name in ("silver/customer", "bronze/crm_contacts", "gold/customer_ids"):
        values, path = needles(forgotten.people, name), str(forgotten.lake / name)
        for version in range(forgotten.before[name] + 1):  # every version the pipeline wrote
            try:
                rows = spark.read.format("delta").option("versionAsOf", version).load(path).toPandas()
            except Exception as gone:  # noqa: BLE001 - Spark wraps the missing file in its own errors
                assert "does not exist" in str(gone) or "FileNotFound" in str(gone), str(gone)[:500]
                continue
            assert not holders(rows, values), f"{name} version {version}"


def test_the_delta_logs_hold_no_email_or_phone(forgotten):
    contacts = [v.lower() for p in forgotten.people for v in (*p["emails"], *p["phones"])]
    for log in forgotten.lake.rglob("_delta_log/*"):
        if log.is_file() and log.suffix in (".json", ".crc"):
            text = log.read_text(errors="replace").lower()
            assert not [v for v in contacts if v in text], log


def test_the_requests_are_audited_without_personal_data(forgotten):
    audit = read(forgotten.lake, "meta/forget_requests")
    assert len(audit) == PEOPLE and set(audit["status"]) == {"complete"}
    by_email = audit[audit["identifier_kind"] == "email"].iloc[0]
    expected = hashlib.sha256(f"email:{forgotten.people[1]['email']}".encode()).hexdigest()
    assert by_email["identifier_hash"] == expected and audit["identifier"].isna().all()
    assert (audit["total_rows_removed"] > 0).all() and "silver/customer" in list(by_email["tables"])
    assert not holders(audit, needles(forgotten.people))
    assert (audit["retention_hours"] == 0).all() and (audit["vacuumed_tables"] > 5).all()


def test_a_resent_file_does_not_bring_them_back(forgotten, example, spark):
    from jobs.bronze import land_source
    from schemas.loader import load_workspace
    from schemas.tables import Lake

    lake, people = forgotten.lake, forgotten.people
    ws = load_workspace(example.env.workspace_dir)
    folder = Path(ws.source_location("crm_contacts"))
    [original] = sorted(folder.glob("*.csv"))
    contacts = pd.read_csv(original, dtype=str, on_bad_lines="skip")
    keys = {r.split(":", 1)[1] for p in people for r in p["records"] if r.startswith("crm_contacts:")}
    mine = contacts["contact_id"].isin(keys)
    resent = folder / "resent_contacts.csv"
    shutil.copy(original, resent)
    try:
        result = land_source(spark, "crm_contacts", ws.sources["crm_contacts"], ws.model, str(folder),
                             Lake(str(lake)), region=ws.settings.defaults.country)
    finally:
        resent.unlink()
    assert result.rows_suppressed == int(mine.sum()) > 0
    assert not holders(read(lake, "bronze/crm_contacts"), needles(people, "bronze/crm_contacts"))
