"""Identity resolution end to end on a tiny silver table: accuracy, stable IDs, overrides, explain.

The test writes silver/customer itself (40 people, 1-3 records each, with typos, other emails
and missing values), so the truth is known exactly; each step runs the same code as the assets.
"""

from __future__ import annotations

import random
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

from jobs.delta import read_table, table_version
from jobs.identity.blocking import check_pair_budget
from jobs.identity.errors import IdentityError
from jobs.identity.explain import explain
from jobs.identity.context import identity_context
from jobs.identity.prepare import prepare_records
from jobs.identity.quality import cluster_quality_pandas
from jobs.identity.resolve import resolve
from schemas.catalog import CUSTOMER_ID_HISTORY, CUSTOMER_IDS, IDENTITY_CLUSTERS, IDENTITY_PAIRS
from schemas.tables import Lake
from schemas.loader import load_workspace

MINI = Path(__file__).resolve().parents[1] / "data" / "identity"
FIRST = ["Anna", "Ben", "Chloe", "David", "Emma", "Frank", "Grace", "Harry", "Isla", "Jack"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright"]
COLUMNS = "record_id string, source string, source_key string, first_name string, last_name string, " \
          "email string, phone string, birth_date date, postcode string, _updated_at timestamp"


def people(n: int = 40, seed: int = 11) -> tuple[list[tuple], dict[str, str]]:
    """Silver rows and record -> person truth."""
    rng = random.Random(seed)
    rows, truth, keys = [], {}, {"crm": 0, "web": 0}
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for p in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}{p}@mail.test".lower()
        phone = f"+4477009{p:05d}"
        dob = date(1960, 1, 1) + timedelta(days=rng.randint(0, 15000))
        postcode = f"M{p % 9} {p % 7}AB"
        copies = [("crm", first, email, phone, dob)]
        if rng.random() < 0.7:
            typo = first[:-1] + first[-1] * 2 if rng.random() < 0.4 else first
            other = f"{first[0]}{last}{p}@other.test".lower() if rng.random() < 0.4 else email
            copies.append(("web", typo, other, phone if rng.random() < 0.8 else None, dob if rng.random() < 0.7 else None))
        if rng.random() < 0.15:
            copies.append(("crm", first, email.upper(), None, None))
        for source, fname, mail, tel, born in copies:
            keys[source] += 1
            rid = f"{source}:{keys[source]:04d}"
            rows.append((rid, source, f"{keys[source]:04d}", fname, last, mail, tel, born, postcode, at))
            truth[rid] = f"p{p}"
    return rows, truth


@pytest.fixture(scope="module")
def mini(tmp_path_factory, spark):
    """A workspace copy, a lake with silver/customer written, and the truth."""
    base = tmp_path_factory.mktemp("identity")
    workspace = base / "workspace"
    shutil.copytree(MINI, workspace)
    lake = Lake(str(base / "lake"))
    rows, truth = people()
    spark.createDataFrame(rows, COLUMNS).write.format("delta").save(lake.silver("customer"))
    return workspace, lake, truth


def _ids(spark, lake) -> dict[str, str]:
    return {r["record_id"]: r["customer_id"] for r in read_table(spark, lake.gold(CUSTOMER_IDS.name)).collect()}


def _policy(workspace: Path, **changes) -> None:
    path = workspace / "match.yaml"
    data = yaml.safe_load(path.read_text())
    data.setdefault("overrides", {}).update(changes)
    path.write_text(yaml.safe_dump(data))


def test_resolution_is_accurate_stable_and_explainable(spark, mini):
    workspace, lake, truth = mini
    ws = load_workspace(workspace)
    first = resolve(spark, ws, lake, run_id="run1")
    ids = _ids(spark, lake)
    assert set(ids) == set(truth)
    labels = pd.DataFrame({"record_id": list(truth), "entity": list(truth.values())})
    metrics = cluster_quality_pandas(pd.DataFrame({"record_id": list(ids), "customer_id": list(ids.values())}), labels)
    assert metrics["pairwise_f1"] >= 0.9, metrics
    assert first["ids"]["changes"] == {"new": len(truth)}

    # a re-run on unchanged data: the same IDs, nothing in the history
    second = resolve(spark, ws, lake, run_id="run2")
    assert _ids(spark, lake) == ids and second["ids"]["changes"] == {}
    assert read_table(spark, lake.gold(CUSTOMER_ID_HISTORY.name)).count() == len(truth)
    # nothing pairs and clusters read changed: neither is rewritten, and the last summary comes back
    assert second["pairs"]["skipped"] and second["clusters"]["skipped"]
    assert not first["pairs"]["skipped"] and not first["clusters"]["skipped"]
    for step in ("pairs", "clusters"):
        assert {k: v for k, v in second[step].items() if k != "skipped"} == \
            {k: v for k, v in first[step].items() if k != "skipped"}
    assert table_version(spark, lake.gold(IDENTITY_PAIRS.name)) == 0
    assert table_version(spark, lake.gold(IDENTITY_CLUSTERS.name)) == 0

    # explain a linked pair of one person, in words and numbers
    pair = next((a, b) for a in sorted(truth) for b in sorted(truth)
                if a < b and truth[a] == truth[b] and ids[a] == ids[b])
    text = explain(identity_context(spark, ws, lake), *pair).render()
    assert "Verdict: the same person" in text and "bits" in text and "match probability" in text
    assert "first_name" in text and "starting point" in text
    # and a pair that was never compared
    stranger = next(b for b in sorted(truth) if truth[b] != truth[pair[0]] and ids[b] != ids[pair[0]])
    text = explain(identity_context(spark, ws, lake), pair[0], stranger).render()
    assert "different people" in text and "not linked" in text


def test_cannot_link_splits_and_stays_applied_then_new_records_keep_ids(spark, mini):
    workspace, lake, truth = mini
    ws = load_workspace(workspace)
    resolve(spark, ws, lake, run_id="base")
    before = _ids(spark, lake)
    sizes = pd.Series(before).value_counts()
    # two records of a cluster of three or more: they stay connected through the third record, so
    # dropping their own link is not enough and the cluster must be cut
    a, b = next((a, b) for a in sorted(before) for b in sorted(before)
                if a < b and before[a] == before[b] and sizes[before[a]] >= 3)
    _policy(workspace, cannot_link=[[b, a]])
    ws = load_workspace(workspace)
    out = resolve(spark, ws, lake, run_id="cut")
    after = _ids(spark, lake)
    assert after[a] != after[b]
    assert {before[a]} & {after[a], after[b]}, "one side keeps the old ID"
    assert "split" in out["ids"]["changes"] or "moved" in out["ids"]["changes"]
    assert out["clusters"]["cannot_link_applied"] == [[a, b]]
    # applied again on the next run, with nothing more to change
    again = resolve(spark, ws, lake, run_id="cut-again")
    assert _ids(spark, lake) == after and again["ids"]["changes"] == {}

    # a new source file: a second record of an existing person and a new person
    known = next(r for r in sorted(after) if r.startswith("crm:") and r not in (a, b))
    existing = read_table(spark, lake.silver("customer")).where(f"record_id = '{known}'").first()
    at = datetime(2026, 2, 1, tzinfo=UTC)
    new_rows = [
        ("web:9001", "web", "9001", existing["first_name"], existing["last_name"], existing["email"], None, None,
         existing["postcode"], at),
        ("web:9002", "web", "9002", "Zara", "Quill", "zara.quill@mail.test", "+447700999999", date(1990, 5, 5),
         "ZZ1 1ZZ", at),
    ]
    spark.createDataFrame(new_rows, COLUMNS).write.format("delta").mode("append").save(lake.silver("customer"))
    out = resolve(spark, ws, lake, run_id="new-file")
    latest = _ids(spark, lake)
    assert latest["web:9001"] == after[known]
    assert latest["web:9002"] not in after.values()
    assert all(latest[r] == after[r] for r in after), "every existing record keeps its ID"
    assert out["ids"]["changes"] == {"new": 2}


def test_must_link_joins_two_people(spark, mini, tmp_path):
    workspace, lake, truth = mini
    ws = load_workspace(workspace)
    resolve(spark, ws, lake, run_id="pre")
    ids = _ids(spark, lake)
    x, y = next((x, y) for x in sorted(ids) for y in sorted(ids) if ids[x] != ids[y])
    _policy(workspace, must_link=[[x, y]], cannot_link=[])
    out = resolve(spark, load_workspace(workspace), lake, run_id="must")
    joined = _ids(spark, lake)
    assert joined[x] == joined[y] and joined[x] in (ids[x], ids[y])
    assert out["ids"]["changes"].get("merged", 0) >= 1


def test_candidate_pair_cap_fails_with_the_rule(spark, mini):
    workspace, lake, truth = mini
    policy = load_workspace(workspace).match.model_copy(update={"max_candidate_pairs": 3})
    records = prepare_records(read_table(spark, lake.silver("customer")), policy)
    with pytest.raises(IdentityError) as err:
        check_pair_budget(records, policy)
    message = str(err.value)
    assert "max_candidate_pairs (3)" in message and "names:" in message and "biggest blocks" in message


def test_giant_clusters_are_reported_and_not_merged(spark, mini, tmp_path):
    workspace, lake, truth = mini
    copy = tmp_path / "workspace"
    shutil.copytree(workspace, copy)
    path = copy / "match.yaml"
    data = yaml.safe_load(path.read_text())
    data["clustering"] = {"max_cluster_size": 2}
    data["overrides"] = {}
    path.write_text(yaml.safe_dump(data))
    out = resolve(spark, load_workspace(copy), lake, run_id="guard")
    assert out["clusters"]["oversized"], "the mini data has people with three records"
    assert all(size <= 2 for size in map(int, out["clusters"]["size_distribution"]))
    clusters = read_table(spark, lake.gold("identity_clusters")).toPandas()
    refused = clusters[clusters["note"] == "oversized_not_merged"]
    assert len(refused) >= 3
