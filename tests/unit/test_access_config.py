"""access.yaml: typed, checked against the workspace before Spark, each mistake naming the file and key."""

from __future__ import annotations

import pytest

from schemas.catalog import by_key
from schemas.permissions import AccessDenied, permissions_for
from schemas.table_access import table_refusal
from tests.unit.access_world import ADMIN, MARKETING, READER, STRANGER, retail, workspace_dir
from tests.unit.workspace_edits import copy_retail, edit, problems

__all__ = ["retail", "workspace_dir"]  # fixtures


def broken(tmp_path, change) -> list[str]:
    folder = copy_retail(tmp_path)
    edit(folder, "access.yaml", change)
    return problems(folder)


def test_validate_counts_roles_and_principals(workspace_dir):
    from click.testing import CliRunner

    from insights.cli import main

    result = CliRunner().invoke(main, ["validate", str(workspace_dir)])
    assert result.exit_code == 0 and "; access.yaml: 3 roles, 4 principals" in result.output


def test_the_example_declares_admin_reader_and_a_masked_role(retail):
    roles = retail.access.roles
    assert roles["admin"].admin and not roles["reader"].admin
    assert "support_case" not in roles["reader"].interactions
    assert roles["marketing"].masks == {"email": "hash", "phone": "null"}


def test_a_grant_naming_an_unknown_type_kpi_or_segment_names_the_key(tmp_path):
    def change(data):
        data["roles"]["reader"]["interactions"].append("phone_call")
        data["roles"]["reader"]["kpis"] = ["lifetime_spend", "lifetime_spnd"]
        data["roles"]["reader"]["segments"] = ["nobody"]
    found = broken(tmp_path, change)
    assert any(p.startswith("access.yaml: roles.reader.interactions.4: unknown interaction 'phone_call'") for p in found)
    assert any(p.startswith("access.yaml: roles.reader.kpis.1: unknown kpi 'lifetime_spnd'") for p in found)
    assert any(p.startswith("access.yaml: roles.reader.segments.0: unknown segment 'nobody'") for p in found)
    assert len(found) == 3


def test_a_kpi_computed_from_an_ungranted_type_is_refused_by_name(tmp_path):
    found = broken(tmp_path, lambda d: d["roles"]["reader"].update(kpis=["escalation_rate"]))
    assert found == ["access.yaml: roles.reader.kpis.0: 'escalation_rate' is computed from ['support_case'], "
                     "which role 'reader' is not granted: grant them or leave it out"]


def test_a_mask_of_an_unknown_column_names_the_key(tmp_path):
    def change(data):
        data["roles"]["marketing"]["masks"] = {"emial": "hash", "customer.fax": "null", "order.email": "hash"}
    found = broken(tmp_path, change)
    assert "access.yaml: roles.marketing.masks.emial: no type of model.yaml has an attribute 'emial'" in found
    assert any(p.startswith("access.yaml: roles.marketing.masks.customer.fax: 'customer' has no attribute 'fax'")
               for p in found)
    assert any(p.startswith("access.yaml: roles.marketing.masks.order.email: unknown type 'order'") for p in found)


def test_principals_are_guids_with_a_known_role(tmp_path):
    def change(data):
        data["principals"]["not-a-guid"] = {"kind": "user", "role": "reader"}
        data["principals"]["11111111-2222-4333-8444-555555555555"] = {"kind": "user", "role": "auditor"}
    found = broken(tmp_path, change)
    assert any(p.startswith("access.yaml: principals.not-a-guid: not an Entra ID object ID") for p in found)
    assert any(p.startswith("access.yaml: principals.11111111-2222-4333-8444-555555555555.role: unknown role "
                            "'auditor'") for p in found)


def test_an_admin_with_grants_and_a_hash_without_salt_are_mistakes(tmp_path):
    found = broken(tmp_path / "admin", lambda d: d["roles"]["admin"].update(kpis=["*"]))
    assert found == ["access.yaml: roles.admin: an admin role sees everything unmasked: give it no grants or masks"]
    found = broken(tmp_path / "salt", lambda d: [d.pop("salt"), d.pop("salt_env")])
    assert len(found) == 1 and found[0].startswith("access.yaml: a role hashes a column: give 'salt' or 'salt_env'")


def test_star_keeps_only_what_is_computed_from_granted_types(retail):
    reader = permissions_for(retail, READER)
    fed_by_cases = {n for n, k in retail.kpis.kpis.items() if k.interaction == "support_case"}
    assert fed_by_cases and not fed_by_cases & reader.kpis
    assert {"escalation_rate", "support_case_rate", "escalation_share"}.isdisjoint(reader.kpis)  # derived from them
    assert {"lifetime_spend", "latest_nps", "rfm_score"} <= reader.kpis
    assert "unhappy" not in reader.segments and "lapsed" not in reader.segments  # lapsed: not unhappy
    assert "high_value" in reader.segments
    assert reader.predictions == frozenset()  # churn_90d's default features include every interaction type


def test_an_unknown_principal_is_refused_and_a_remote_lake_needs_one(retail):
    with pytest.raises(AccessDenied, match=f"principal {STRANGER} is not in access.yaml"):
        permissions_for(retail, STRANGER)
    with pytest.raises(AccessDenied, match="the lake is remote: say who you are with --as"):
        permissions_for(retail, None, local_lake=False)
    assert permissions_for(retail, None, local_lake=True).admin
    assert permissions_for(retail, ADMIN.upper()).admin  # object IDs compare in lower case


def test_whole_tables_are_readable_only_when_every_part_is_granted_and_unmasked(retail):
    tables = by_key(retail)
    reader, marketing = permissions_for(retail, READER), permissions_for(retail, MARKETING)
    assert table_refusal(tables["silver/purchase"], reader, retail) is None
    assert "support_case" in table_refusal(tables["silver/support_case"], reader, retail)
    assert "support_case" in table_refusal(tables["gold/customer_360"], reader, retail)
    assert "admin only" in table_refusal(tables["bronze/crm_contacts"], reader, retail)
    assert "masked columns ['customer.email', 'customer.phone']" in table_refusal(tables["silver/customer"], marketing,
                                                                                   retail)
    assert table_refusal(tables["silver/product"], marketing, retail) is None
    assert all(table_refusal(t, permissions_for(retail, ADMIN), retail) is None for t in tables.values())
