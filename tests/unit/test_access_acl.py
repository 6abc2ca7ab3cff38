"""`insights access plan|apply`: desired ACLs from access.yaml, read and changed through a recorded DFS transport."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from insights.access import lake_storage
from insights.access.acl import AclEntry, desired_acls, parse_acl
from insights.access.lake_storage import AclChangeFailed, LakeLocation, apply_change, file_system, plan_lake
from insights.cli import main
from tests.unit.access_world import ADMIN, LAKE, MARKETING, POWERBI, READER, STRANGER, retail, workspace_dir
from tests.unit.dfs_transport import BASE_ACL, FakeDfs, StaticToken

REAL_FILE_SYSTEM = lake_storage.file_system
__all__ = ["retail", "workspace_dir"]  # fixtures


def lake_dirs() -> FakeDfs:
    """A lake with a few tables written: purchase readable by all, support cases by admins only, the 360."""
    acls = {path: BASE_ACL for path in ("", "retail", "retail/silver", "retail/gold", "retail/silver/purchase",
                                        "retail/silver/support_case")}
    acls["retail/gold/customer_360"] = f"{BASE_ACL},group:{MARKETING}:r-x,user:{STRANGER}:r-x"
    acls["retail/silver/support_case"] = "user::rwx,group::r-x,mask::r--,other::---"  # a mask that would cap r-x
    return FakeDfs("lake", acls, files={"retail/silver/purchase": 3, "retail/gold/customer_360": 5})


def client_of(dfs: FakeDfs):
    return file_system(LakeLocation.parse(LAKE), credential=StaticToken(), transport=dfs)


def entries(text: str) -> set[str]:
    return set(text.split(","))


def test_acl_text_round_trips_and_a_bad_entry_names_itself():
    text = f"user::rwx,group::r-x,mask::r-x,other::---,group:{READER}:r-x,default:user:{POWERBI}:r-x"
    assert ",".join(str(e) for e in parse_acl(text)) == text
    assert parse_acl(text)[-1] == AclEntry("default", "user", POWERBI, "r-x")
    with pytest.raises(ValueError, match="not an ACL entry: 'user:r-x'"):
        parse_acl("user:r-x")


def test_the_lake_root_must_be_adls_gen2():
    assert LakeLocation.parse(LAKE) == LakeLocation("https://acct.dfs.core.windows.net", "lake", "retail")
    with pytest.raises(ValueError, match="is not an ADLS Gen2 lake root"):
        LakeLocation.parse("/data/lake")


def test_desired_acls_give_whole_readable_tables_and_traverse_to_their_parents(retail):
    desired = {d.path: d for d in desired_acls(retail, "retail")}
    purchase = {str(e) for e in desired["retail/silver/purchase"].entries}
    assert {f"group:{READER}:r-x", f"default:group:{READER}:r-x", f"user:{POWERBI}:r-x",
            f"group:{MARKETING}:r-x"} <= purchase
    cases = desired["retail/silver/support_case"]
    assert {e.qualifier for e in cases.entries} == {ADMIN}
    assert dict(cases.withheld)[READER].startswith("no grant on ['support_case']")
    assert MARKETING not in {e.qualifier for e in desired["retail/silver/customer"].entries}  # email is masked
    assert {e.qualifier for e in desired["retail/bronze/crm_contacts"].entries} == {ADMIN}
    assert {str(e) for e in desired["retail/bronze"].entries} == {f"group:{ADMIN}:--x"}
    assert desired["retail"].recursive is False and desired["retail/silver/purchase"].recursive is True
    assert {e.qualifier for e in desired[""].entries} == {ADMIN, READER, MARKETING, POWERBI}


def test_plan_reads_each_directory_with_get_access_control(retail):
    dfs = lake_dirs()
    changes = plan_lake(retail, client_of(dfs), "retail")
    assert len(dfs.sent) == len(changes) == len(desired_acls(retail, "retail"))
    assert {s.method for s in dfs.sent} == {"HEAD"}
    assert all(s.query == {"action": "getAccessControl", "upn": "false"} for s in dfs.sent)
    assert all(s.headers["Authorization"] == "Bearer test-token" and s.headers["x-ms-version"] for s in dfs.sent)
    assert "/lake/retail/gold/customer_360" in {s.path for s in dfs.sent}
    by_path = {c.desired.path: c for c in changes}
    assert not by_path["retail/gold/kpis_customer"].exists  # 404 PathNotFound: not written yet
    c360 = by_path["retail/gold/customer_360"]
    assert [str(e) for e in c360.revoke] == [f"group:{MARKETING}:r-x"]
    assert [str(e) for e in c360.unmanaged] == [f"user:{STRANGER}:r-x"]


def run_cli(monkeypatch, dfs: FakeDfs, workspace_dir, *args: str, answer: str | None = None):
    monkeypatch.setenv("INSIGHTS_MLFLOW_URI", "http://127.0.0.1:5000")  # a remote lake's deployment has a tracking server
    monkeypatch.setattr(lake_storage, "file_system",
                        lambda location: REAL_FILE_SYSTEM(location, credential=StaticToken(), transport=dfs))
    return CliRunner().invoke(main, ["access", *args, "--workspace", str(workspace_dir), "--lake", LAKE], input=answer)


def test_plan_prints_desired_against_actual(monkeypatch, workspace_dir):
    result = run_cli(monkeypatch, lake_dirs(), workspace_dir, "plan")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "retail/gold/customer_360  (recursive: the table and its files)" in out
    assert f"  - group:{MARKETING}  Campaign managers (marketing): its source records need identity" in out
    assert f"  = user:{STRANGER}:r-x  not in access.yaml: left as it is" in out
    assert f"  + default:group:{READER}:r-x  Customer analysts (reader)" in out
    assert "  ~ mask::r-- -> r-x  the mask, widened so the named entries take effect" in out
    assert "retail/gold/kpis_customer" in out.splitlines()[-2]  # listed among those not in the lake yet


def test_apply_modifies_and_removes_recursively_and_sets_parents_alone(monkeypatch, workspace_dir, retail):
    dfs = lake_dirs()
    result = run_cli(monkeypatch, dfs, workspace_dir, "apply", "--yes")
    assert result.exit_code == 0, result.output
    patches = [s for s in dfs.sent if s.method == "PATCH"]
    recursive = {(s.path, s.query["mode"]): s for s in patches if s.query["action"] == "setAccessControlRecursive"}
    modify = recursive[("/lake/retail/silver/purchase", "modify")]
    desired = {d.path: d for d in desired_acls(retail, "retail")}
    # The named entries, and a default mask so that the default named entries take effect.
    assert entries(modify.headers["x-ms-acl"]) == {str(e) for e in desired["retail/silver/purchase"].entries} | {
        "default:mask::r-x"}
    cases = recursive[("/lake/retail/silver/support_case", "modify")].headers["x-ms-acl"]
    assert {"mask::r-x", "default:mask::r-x", f"group:{ADMIN}:r-x"} <= entries(cases)
    assert "mask::r-x" in dfs.acls["retail/silver/support_case"].split(",")
    assert recursive[("/lake/retail/gold/customer_360", "remove")].headers["x-ms-acl"] == f"group:{MARKETING}"
    assert ("/lake/retail/silver/support_case", "modify") in recursive
    parents = [s for s in patches if s.query == {"action": "setAccessControl"}]
    # The container's root is the directory "/", as the SDK's own root directory client addresses it.
    assert {s.path for s in parents} == {"/lake//", "/lake/retail", "/lake/retail/silver", "/lake/retail/gold"}
    gold = next(s for s in parents if s.path == "/lake/retail/gold").headers["x-ms-acl"]
    assert entries(gold) == entries(BASE_ACL) | {str(e) for e in desired["retail/gold"].entries}
    assert f"user:{STRANGER}:r-x" in dfs.acls["retail/gold/customer_360"]  # not ours: kept
    # Every directory of the fixture changes: 4 parents alone, purchase (1 + 3 files), support_case (1) and
    # customer_360 (1 + 5 files, modified and then removed from).
    assert "applied: 7 directories changed (21 paths updated)" in result.output
    again = run_cli(monkeypatch, dfs, workspace_dir, "apply", "--yes")
    assert "0 of 58 directories to change" in again.output and "nothing to apply" in again.output


def test_apply_asks_first_and_changes_nothing_when_told_no(monkeypatch, workspace_dir):
    dfs = lake_dirs()
    result = run_cli(monkeypatch, dfs, workspace_dir, "apply", answer="n\n")
    assert result.exit_code == 1 and "apply these changes to 7 directories?" in result.output
    assert [s for s in dfs.sent if s.method == "PATCH"] == []


def test_a_path_whose_acl_cannot_change_is_reported_with_the_continuation_token(retail):
    dfs = lake_dirs()
    dfs.failing.add("retail/silver/purchase")
    client = client_of(dfs)
    change = next(c for c in plan_lake(retail, client, "retail") if c.desired.path == "retail/silver/purchase")
    with pytest.raises(AclChangeFailed, match="retail/silver/purchase: 1 paths kept their ACL; resume with "
                                              "continuation token VBaHi4TfzA"):
        apply_change(client, change)
