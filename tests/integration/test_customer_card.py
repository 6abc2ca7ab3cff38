"""`insights customer` on the materialised example: the card's figures are the gold tables' (recomputed with pandas)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from click.testing import CliRunner

from insights.cli import main

pytestmark = pytest.mark.integration


def _invoke(example, *args: str) -> dict | list:
    env = example.env
    result = CliRunner().invoke(main, ["customer", *args, "--json", "--workspace", env.workspace_dir,
                                       "--lake", env.lake_root])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _one_person_email(example) -> tuple[str, str]:
    """A real email of silver/customer that belongs to exactly one customer, and that customer."""
    silver, ids = example.table("silver/customer"), example.table("gold/customer_ids")
    owners = silver.dropna(subset=["email"]).merge(ids[["record_id", "customer_id"]], on="record_id")
    per_email = owners.groupby("email")["customer_id"].nunique()
    known = set(example.table("gold/customer_360")["customer_id"])
    owners = owners[owners["email"].isin(per_email[per_email == 1].index) & owners["customer_id"].isin(known)]
    spender = owners.merge(example.table("gold/kpis_customer"), on="customer_id").sort_values(
        ["order_count", "email"], ascending=[False, True]).iloc[0]  # a customer with purchases: KPIs not all empty
    return spender["email"], spender["customer_id"]


def _same(card_value, table_value) -> bool:
    if table_value is None or (isinstance(table_value, float) and math.isnan(table_value)) or table_value is pd.NaT:
        return card_value is None
    if isinstance(table_value, pd.Timestamp):
        return pd.Timestamp(card_value) == table_value
    return card_value == pytest.approx(table_value)


def test_card_by_email_has_the_gold_tables_figures(example):
    email, customer_id = _one_person_email(example)
    card = _invoke(example, "--email", email.upper())
    assert card["customer_id"] == customer_id
    kpis = example.table("gold/kpis_customer").set_index("customer_id").loc[customer_id]
    names = list(example.env.load_workspace().kpis.of_grain("customer"))
    assert set(card["kpis"]) == {n for n in names if n in kpis.index}
    wrong = {n: (v, kpis[n]) for n, v in card["kpis"].items() if not _same(v, kpis[n])}
    assert wrong == {}
    members = example.table("gold/segment_membership").query("customer_id == @customer_id")
    assert sorted(s["segment"] for s in card["segments"]) == sorted(members["segment"])
    scores = example.table("gold/scores").query("customer_id == @customer_id")
    assert {s["prediction"]: s["model_version"] for s in card["scores"]} == dict(
        zip(scores["prediction"], scores["model_version"], strict=True))
    timeline = example.table("gold/customer_timeline").query("customer_id == @customer_id")
    counts = timeline["interaction_type"].value_counts().to_dict()
    assert {t: n for t, n in card["interactions"].items() if n} == counts
    records = example.table("gold/customer_ids").query("customer_id == @customer_id")
    assert sorted(r["record_id"] for r in card["records"]) == sorted(records["record_id"])


def test_search_finds_the_customer_from_a_misspelt_name(example):
    _, customer_id = _one_person_email(example)
    golden = example.table("gold/customer_360").set_index("customer_id").loc[customer_id]
    last = golden["last_name"]
    misspelt = f"{golden['first_name']} {last[0]}{last[2]}{last[1]}{last[3:]}"  # two letters swapped
    hits = _invoke(example, "--search", misspelt)
    mine = [h for h in hits if h["customer_id"] == customer_id]
    assert mine and mine[0]["score"] == hits[0]["score"], (misspelt, hits)
