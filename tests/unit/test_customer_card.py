"""`insights customer`: the card, lookups and search read a tiny customer_360 written by delta-rs (no Spark)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import deltalake
import pandas as pd
import pytest
from click.testing import CliRunner

from insights.cli import main
from insights.customer.card import card_from_row
from insights.customer.lookup import CustomerLake, customer_row
from insights.customer.search import SearchColumns, search
from schemas.loader import load_workspace
from schemas.tables import Lake
from tests.unit.customer_lake import PEOPLE, TYPES, write_customer_lake

RETAIL = Path(__file__).resolve().parents[2] / "examples" / "retail"


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lake")
    write_customer_lake(root)
    return root


def card_of(lake: Path, *args: str) -> dict:
    result = CliRunner().invoke(main, ["customer", *args, "--json", "--workspace", str(RETAIL), "--lake", str(lake)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def table(lake: Path, name: str) -> pd.DataFrame:
    return deltalake.DeltaTable(str(lake / "gold" / name)).to_pandas()


def same(a, b) -> bool:
    """Equal figures, a null or NaN in the table being null in the card."""
    missing = b is None or (isinstance(b, float) and math.isnan(b))
    return a is None if missing else a == pytest.approx(b)


def test_card_by_id_has_the_tables_figures(lake):
    card = card_of(lake, "C0003")
    row = table(lake, "customer_360").set_index("customer_id").loc["C0003"]
    assert card["customer_id"] == "C0003" and card["record_count"] == row["record_count"]
    for attr in ("first_name", "email", "phone", "postcode", "home_store"):
        assert card["profile"][attr] == {"value": row[attr], "source": row[f"{attr}_source"]}
    assert card["profile"]["birth_date"]["value"] == row["birth_date"].isoformat()
    kpis = {c.removeprefix("kpi_"): row[c] for c in row.index if c.startswith("kpi_")}
    assert card["kpis"].keys() == kpis.keys()
    assert all(same(card["kpis"][k], v) for k, v in kpis.items())
    assert card["interactions"] == {t: int(row[f"{t}_count"]) for t in TYPES}
    events = table(lake, "customer_timeline").query("customer_id == 'C0003'")
    assert card["interactions"] == {t: int((events["interaction_type"] == t).sum()) for t in TYPES}
    assert [s["segment"] for s in card["segments"]] == [s["segment"] for s in row["segments"]]
    [score] = row["scores"]
    assert card["scores"] == [{**score, "scored_at": score["scored_at"].isoformat().replace("+00:00", "Z")}]
    assert card["related"]["home_store"][0]["store_code"] == "S01"
    assert [e["record_id"] for e in card["timeline"]] == [e["record_id"] for e in row["timeline"]]


def test_the_timeline_option_reads_customer_timeline_newest_first(lake):
    card = card_of(lake, "C0005", "--timeline", "5")
    events = table(lake, "customer_timeline").query("customer_id == 'C0005'")
    expected = events.sort_values(["occurred_at", "interaction_type", "record_id"], ascending=False).head(5)
    assert [e["record_id"] for e in card["timeline"]] == expected["record_id"].tolist()
    assert pd.Timestamp(card["timeline"][0]["occurred_at"]) == expected["occurred_at"].iloc[0]


def test_email_and_phone_are_spelt_as_silver_before_matching(lake):
    by_id = card_of(lake, "C0001")
    assert card_of(lake, "--email", "  Williams.Joshua@BTInternet.com ") == by_id
    assert card_of(lake, "--phone", "07356 951766")["customer_id"] == "C0001"  # GB, the workspace's country
    assert card_of(lake, "--email", "josh.w@gmail.com") == by_id  # the address of a second source record


def test_an_email_of_several_customers_lists_them_to_pick_from(lake):
    hits = card_of(lake, "--email", "S.Lee@outlook.com")  # C0002's, and on a source record of C0004
    assert [(h["customer_id"], h["matched"]) for h in hits] == [("C0002", "email"), ("C0004", "email")]
    text = CliRunner().invoke(main, ["customer", "--email", "s.lee@outlook.com", "--workspace", str(RETAIL),
                                     "--lake", str(lake)]).output
    assert "2 customers have email s.lee@outlook.com" in text and "C0004" in text


def test_json_is_the_card_with_iso_dates(lake):
    card = card_of(lake, "C0002")
    assert card["updated_at"] == "2026-06-28T00:00:00Z"
    assert card["timeline"][0]["occurred_at"].startswith("2026-05-")
    assert card_of(lake, "C0003")["kpis"]["latest_nps"] is None  # null in the table
    assert card_of(lake, "C0001")["kpis"]["lifetime_spend"] is None  # NaN in the table: JSON has no NaN
    row = customer_row(CustomerLake(Lake(str(lake))).customer_360(), "C0002")
    assert card == card_from_row(row, list(load_workspace(RETAIL).model.interactions)).as_json()
    text = CliRunner().invoke(main, ["customer", "C0002", "--workspace", str(RETAIL), "--lake", str(lake)]).output
    assert "customer C0002" in text and "beats_baseline" in text and card["profile"]["email"]["value"] in text
    assert card["timeline"][0]["record_id"] in text


def test_search_finds_a_misspelt_name_first(lake):
    result = CliRunner().invoke(main, ["customer", "--search", "Margret Tompson", "--json",
                                       "--workspace", str(RETAIL), "--lake", str(lake)])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert hits[0]["customer_id"] == "C0003" and hits[0]["matched"] == "name"
    joshua = json.loads(CliRunner().invoke(main, ["customer", "--search", "joshau wiliams", "--json",
                                                  "--workspace", str(RETAIL), "--lake", str(lake)]).output)
    assert [h["customer_id"] for h in joshua][:1] == ["C0001"]  # ahead of Joshua Wilson
    assert all(a["score"] >= b["score"] for a, b in zip(joshua, joshua[1:]))


def test_search_by_postcode_and_phone(lake):
    columns = SearchColumns.of(load_workspace(RETAIL).model)
    table = CustomerLake(Lake(str(lake))).customer_360()
    assert search(table, columns, "ls14ab", "GB")[0].customer_id == "C0001"
    assert search(table, columns, "07911 123456", "GB")[0].customer_id == "C0005"


@pytest.mark.parametrize("args, message", [
    (["C9999"], "no customer C9999 in "),
    (["--email", "nobody@example.com"], "no customer in "),
    (["--phone", "07000 000000"], "no customer in "),
    (["--search", "Zebulon Quixley"], "matches 'Zebulon Quixley'"),
    (["--email", "not-an-address"], "is not an email address silver would keep"),
])
def test_nothing_matches_exits_1_with_one_line(lake, args, message):
    result = CliRunner().invoke(main, ["customer", *args, "--workspace", str(RETAIL), "--lake", str(lake)])
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_no_customer_360_yet_says_how_to_build_it(tmp_path):
    result = CliRunner().invoke(main, ["customer", "C1", "--workspace", str(RETAIL), "--lake", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: no gold/customer_360 at {tmp_path}/gold/customer_360 yet: run `insights run` to build it"]


def test_answers_in_well_under_a_second_for_10000_customers(tmp_path):
    people = [(f"C{i:05d}", f"First{i}", f"Last{i}", f"p{i}@example.com", f"+4477009{i:05d}", f"LS{i % 99} 1AB",
               f"K{i}", None) for i in range(10_000)]
    people[7_777] = ("C07777", *PEOPLE[2][1:])
    write_customer_lake(tmp_path, people)
    args = ["--json", "--workspace", str(RETAIL), "--lake", str(tmp_path)]
    CliRunner().invoke(main, ["customer", "C00001", *args])  # warm: imports and the workspace
    timings = {}
    for name, query in {"id": ["C09999"], "email": ["--email", "p4242@example.com"],
                        "search": ["--search", "Margret Tompson"]}.items():
        start = time.perf_counter()
        result = CliRunner().invoke(main, ["customer", *query, *args])
        timings[name] = time.perf_counter() - start
        assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["customer_id"] == "C07777"
    assert max(timings.values()) < 1.0, timings


@pytest.mark.parametrize("args", [[], ["C0001", "--email", "s.lee@outlook.com"], ["--search", "Lee", "--timeline", "3"]])
def test_a_question_that_is_not_one_is_a_usage_error(lake, args):
    result = CliRunner().invoke(main, ["customer", *args, "--workspace", str(RETAIL), "--lake", str(lake)])
    assert result.exit_code == 2 and "Error: " in result.output
