"""The card, search, `segment show` and the report return only what the principal's role grants (delta-rs lake, no Spark).

The lake is tests/unit/customer_lake's customer_360 with a support-case KPI and the example's
segments; every expectation is recomputed from the tables (pandas) and the hash with hmac/hashlib.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import deltalake
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner
from deltalake import write_deltalake

from insights.cli import main
from insights.report.page import build_sections
from schemas.environment import Environment
from schemas.loader import load_workspace
from schemas.permissions import permissions_for
from tests.unit import report_lake
from tests.unit.access_world import ADMIN, MARKETING, READER, STRANGER
from tests.unit.customer_lake import write_customer_lake
from tests.unit.workspace_edits import copy_retail, edit
SALT = "retail-example-salt-change-me"  # examples/retail/access.yaml's salt
AT = datetime(2026, 6, 1, tzinfo=UTC)


def hashed(value: str, salt: str = SALT) -> str:
    return hmac.new(salt.encode(), value.encode(), hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    """customer_lake's tables, each customer_360 row given a support-case KPI and the example's segments."""
    root = tmp_path_factory.mktemp("lake")
    write_customer_lake(root)
    path = str(root / "gold" / "customer_360")
    table = deltalake.DeltaTable(path).to_pyarrow_table()
    rows = table.to_pylist()
    for i, row in enumerate(rows):
        row["segments"] = [{"segment": "high_value", "since": AT}, {"segment": "unhappy", "since": AT}][: 1 + i % 2]
    schema = table.schema.append(pa.field("kpi_support_cases", pa.int64()))
    table = pa.Table.from_pylist([{**r, "kpi_support_cases": i} for i, r in enumerate(rows)], schema)
    write_deltalake(path, table, mode="overwrite", schema_mode="overwrite")
    members = pd.DataFrame({"segment": ["high_value", "high_value", "unhappy"], "customer_id": ["C0001", "C0002", "C0002"],
                            "since": pd.Timestamp(AT)})
    write_deltalake(str(root / "gold" / "segment_membership"), members)
    return root


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return copy_retail(tmp_path_factory.mktemp("ws"))


def run(workspace: Path, lake: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--workspace", str(workspace), "--lake", str(lake)])


def card(workspace: Path, lake: Path, *args: str) -> dict:
    result = run(workspace, lake, "customer", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def row_of(lake: Path, customer_id: str) -> pd.Series:
    frame = deltalake.DeltaTable(str(lake / "gold" / "customer_360")).to_pandas()
    return frame.set_index("customer_id").loc[customer_id]


def test_admin_sees_the_whole_card_as_the_local_owner_does(workspace, lake):
    assert card(workspace, lake, "C0002", "--as", ADMIN) == card(workspace, lake, "C0002")
    full = card(workspace, lake, "C0002", "--as", ADMIN)
    assert "support_case" in full["interactions"] and "support_cases" in full["kpis"] and full["withheld"] == []


def test_a_reader_sees_no_support_cases_nor_what_is_computed_from_them(workspace, lake):
    seen = card(workspace, lake, "C0001", "--as", READER)
    row = row_of(lake, "C0001")
    assert set(seen["interactions"]) == {"purchase", "purchase_line", "survey_response", "web_visit"}
    assert "support_cases" not in seen["kpis"] and seen["kpis"]["order_count"] == row["kpi_order_count"]
    expected = [e["record_id"] for e in row["timeline"] if e["interaction_type"] != "support_case"]
    assert [e["record_id"] for e in seen["timeline"]] == expected
    assert [s["segment"] for s in seen["segments"]] == [s["segment"] for s in row["segments"] if s["segment"] != "unhappy"]
    assert seen["scores"] == []  # churn_90d is fed by support cases too
    assert seen["profile"]["email"]["value"] == row["email"] and len(seen["records"]) == len(row["records"])
    unhappy = [s["segment"] for s in row["segments"] if s["segment"] == "unhappy"]
    assert seen["withheld"] == [
        "KPIs ['support_cases'] (roles.reader.kpis)", "interaction types ['support_case'] (roles.reader.interactions)",
        *([f"segments {unhappy} (roles.reader.segments)"] if unhappy else []),
        "scores ['churn_90d'] (roles.reader.predictions)"]
    text = run(workspace, lake, "customer", "C0001", "--as", READER).output
    assert "not shown to you: scores ['churn_90d'] (roles.reader.predictions)" in text


def test_a_longer_timeline_is_the_newest_granted_events(workspace, lake):
    seen = card(workspace, lake, "C0005", "--as", READER, "--timeline", "4")
    events = deltalake.DeltaTable(str(lake / "gold" / "customer_timeline")).to_pandas()
    mine = events[(events["customer_id"] == "C0005") & (events["interaction_type"] != "support_case")]
    newest = mine.sort_values(["occurred_at", "interaction_type", "record_id"], ascending=False).head(4)
    assert [e["record_id"] for e in seen["timeline"]] == newest["record_id"].tolist()


def test_a_masked_email_arrives_hashed_and_a_nulled_phone_as_null(workspace, lake):
    seen = card(workspace, lake, "C0003", "--as", MARKETING)
    row = row_of(lake, "C0003")
    assert seen["profile"]["email"] == {"value": hashed(row["email"]), "source": row["email_source"]}
    assert seen["profile"]["phone"]["value"] is None and row["phone"] is not None
    assert seen["profile"]["first_name"]["value"] == row["first_name"]
    assert seen["records"] == []  # no identity grant
    assert "masked columns ['email', 'phone'] (roles.marketing.masks)" in seen["withheld"]


def test_the_timelines_channel_and_amount_arrive_masked_as_their_types_attributes(lake, tmp_path):
    folder = copy_retail(tmp_path)
    edit(folder, "access.yaml", lambda data: data["roles"]["marketing"]["masks"].update(
        {"purchase.amount": "hash", "channel": "null"}))
    events = deltalake.DeltaTable(str(lake / "gold" / "customer_timeline")).to_pandas().set_index("record_id")
    nested, longer = card(folder, lake, "C0005", "--as", MARKETING), card(folder, lake, "C0005", "--as", MARKETING,
                                                                              "--timeline", "6")
    for shown in (nested["timeline"], longer["timeline"]):
        assert "purchase" in [e["interaction_type"] for e in shown]
        for event in shown:
            truth = events.loc[event["record_id"]]
            assert event["channel"] is None
            if event["interaction_type"] == "purchase":  # purchase.amount: the HMAC of its text, 10.0 -> "10.0"
                assert truth["amount"] > 0 and event["amount"] == hashed(str(float(truth["amount"])))
            else:
                assert event["amount"] is None and pd.isna(truth["amount"])
    assert len(longer["timeline"]) == 5  # support cases are not granted
    assert "masked in the timeline ['purchase.channel', 'purchase.amount'] (roles.marketing.masks)" in nested["withheld"]


def test_a_member_of_the_marketing_group_sees_the_card_as_marketing(workspace, lake, monkeypatch):
    from insights.access import groups
    from tests.unit.graph_transport import FakeGraph, JwtToken

    member = "aaaaaaaa-1111-4111-8111-000000000001"  # listed nowhere; Graph says it is in the marketing group
    transport = FakeGraph(member_groups={member: [MARKETING]})
    monkeypatch.setattr(groups, "_PROCESS", groups.GroupLookup(JwtToken(member), transport=transport))
    seen, as_group = card(workspace, lake, "C0003", "--as", member), card(workspace, lake, "C0003", "--as", MARKETING)
    row = row_of(lake, "C0003")
    assert seen["profile"]["email"]["value"] == hashed(row["email"]) and seen == as_group
    assert [s.path for s in transport.sent] == [f"/v1.0/directoryObjects/{member}/getMemberGroups"]


def test_the_salt_variable_wins_over_the_file(workspace, lake, monkeypatch):
    monkeypatch.setenv("INSIGHTS_ACCESS_SALT", "from-the-vault")
    seen = card(workspace, lake, "C0003", "--as", MARKETING)
    assert seen["profile"]["email"]["value"] == hashed(row_of(lake, "C0003")["email"], "from-the-vault")


def test_search_shows_hashes_and_never_matches_a_masked_column(workspace, lake):
    hits = card(workspace, lake, "--search", "Margret Tompson", "--as", MARKETING)
    assert hits[0]["customer_id"] == "C0003" and hits[0]["email"] == hashed(row_of(lake, "C0003")["email"])
    assert hits[0]["phone"] is None
    by_email = run(workspace, lake, "customer", "--search", "maggie.t@yahoo.co.uk", "--as", MARKETING)
    assert by_email.exit_code == 1 and "no customer" in by_email.output
    assert card(workspace, lake, "--search", "maggie.t@yahoo.co.uk", "--as", READER)[0]["customer_id"] == "C0003"


def test_looking_up_by_a_masked_contact_is_refused_naming_the_mask(workspace, lake):
    result = run(workspace, lake, "customer", "--email", "maggie.t@yahoo.co.uk", "--as", MARKETING)
    assert result.exit_code == 1
    assert f"principal {MARKETING} (role 'marketing') sees email masked" in result.output
    assert "roles.marketing.masks" in result.output


def test_unknown_principals_and_roles_without_the_360_are_refused(workspace, lake, tmp_path):
    result = run(workspace, lake, "customer", "C0001", "--as", STRANGER)
    assert result.exit_code == 1 and f"principal {STRANGER} is not in access.yaml" in result.output
    narrower = copy_retail(tmp_path)
    edit(narrower, "access.yaml", lambda data: data["roles"]["reader"].update(customer_360=False))
    for args in (["C0001"], ["--search", "Margret Tompson"], ["--email", "maggie.t@yahoo.co.uk"]):
        refused = run(narrower, lake, "customer", *args, "--as", READER)
        assert refused.exit_code == 1
        assert (f"principal {READER} (role 'reader') has no grant on customer_360 "
                "(access.yaml: roles.reader.customer_360)") in refused.output
    edit(narrower, "access.yaml", lambda data: data["roles"]["reader"].update(customer_360=True, profiles=["store"]))
    refused = run(narrower, lake, "customer", "--search", "Margret Tompson", "--as", READER)
    assert refused.exit_code == 1 and "has no grant on type 'customer' (access.yaml: roles.reader.profiles/interactions)" \
        in refused.output
    without_profile = card(narrower, lake, "C0003", "--as", READER)
    assert without_profile["profile"] == {} and without_profile["kpis"]  # the golden record needs the customer type


def test_segment_show_refuses_a_segment_the_role_is_not_granted(workspace, lake):
    shown = run(workspace, lake, "segment", "show", "high_value", "--as", READER)
    assert shown.exit_code == 0, shown.output
    assert "size      2 customers" in shown.output
    refused = run(workspace, lake, "segment", "show", "unhappy", "--as", READER)
    assert refused.exit_code == 1
    assert f"principal {READER} (role 'reader') has no grant on segment 'unhappy' " \
           "(access.yaml: roles.reader.segments): `*` leaves it out, as it is computed from ['support_case'], " \
           "which the role is not granted" in " ".join(refused.output.split())
    assert run(workspace, lake, "segment", "show", "unhappy", "--as", ADMIN).exit_code == 0


@pytest.fixture(scope="module")
def report_world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    ws_dir, lake = report_lake.workspace_copy(tmp), tmp / "lake"
    report_lake.base_tables(lake)
    report_lake.identity_tables(lake)
    report_lake.gold_tables(lake)
    kpis = deltalake.DeltaTable(str(lake / "gold" / "kpis_customer")).to_pandas()
    write_deltalake(str(lake / "gold" / "kpis_customer"), kpis.assign(support_cases=range(len(kpis))), mode="overwrite",
                    schema_mode="overwrite")
    env = Environment(workspace_dir=str(ws_dir), lake_root=str(lake), dagster_home=str(tmp / "dagster"))
    return load_workspace(ws_dir), env, lake


def sections_as(report_world, principal: str) -> dict:
    workspace, env, _ = report_world
    return {s.id: s for s in build_sections(workspace, env, permissions_for(workspace, principal))}


def test_the_report_shows_a_reader_only_granted_kpis_segments_and_tables(report_world):
    _, _, lake = report_world
    admin, reader = sections_as(report_world, ADMIN), sections_as(report_world, READER)
    stats = lambda s: [row[0] for row in s.grids[0].rows]  # noqa: E731
    assert "support_cases" in stats(admin["kpi-distributions"]) and "support_cases" not in stats(reader["kpi-distributions"])
    sizes = deltalake.DeltaTable(str(lake / "gold" / "segment_sizes")).to_pandas()
    assert [r[0] for r in reader["segments"].grids[0].rows] == sorted(set(sizes["segment"]) - {"lapsed"})
    assert [r[0] for r in admin["segments"].grids[0].rows] == sorted(set(sizes["segment"]))
    listed = [r[0] for r in reader["run-summary"].grids[0].rows]
    assert "gold/customer_ids" in listed and not [t for t in listed if t.startswith(("bronze/", "quarantine/"))]
    assert "quarantine" not in [g.id for g in reader["run-summary"].grids] and "quarantine" in [
        g.id for g in admin["run-summary"].grids]
    assert any("shown to admins only" in note for note in reader["run-summary"].missing)
    assert reader["model-quality"].missing == [f"principal {READER} (role 'reader') has no grant on any prediction of "
                                               "['churn_90d'] (access.yaml: roles.reader.predictions)"]


def test_the_report_withholds_match_quality_without_the_identity_grant(report_world):
    marketing = sections_as(report_world, MARKETING)
    assert marketing["match-quality"].figures == [] and marketing["match-quality"].missing == [
        f"principal {MARKETING} (role 'marketing') has no grant on identity (access.yaml: roles.marketing.identity)"]
    assert sections_as(report_world, READER)["match-quality"].figures
