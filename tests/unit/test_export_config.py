"""exports.yaml is checked before Spark: each mistake names the file and key; the example validates."""

from __future__ import annotations

import shutil

import pytest
import yaml

from jobs.export.destination import Destination
from schemas.catalog import export_tables
from schemas.loader import load_workspace
from tests.unit.access_world import READER, STRANGER
from tests.unit.workspace_edits import RETAIL, copy_retail, problems

EXAMPLE = RETAIL / "exports.yaml.example"


def with_exports(tmp_path, exports: dict, access: bool = True):
    folder = copy_retail(tmp_path)
    if not access:
        (folder / "access.yaml").unlink()
    (folder / "exports.yaml").write_text(yaml.safe_dump({"exports": exports}, sort_keys=False))
    return folder


def one(to="https://acct.blob.core.windows.net/exports/crm", **fields):
    return {"to": to, "tables": ["golden_customer"], **fields}


def test_the_shipped_example_validates_and_gives_one_export_entry_each(tmp_path):
    folder = copy_retail(tmp_path)
    shutil.copy(EXAMPLE, folder / "exports.yaml")
    workspace = load_workspace(folder)
    assert sorted(workspace.exports.exports) == ["crm_feed", "powerbi_snapshot"]
    assert [t.key for t in export_tables(workspace)] == ["export/crm_feed", "export/powerbi_snapshot"]
    assert export_tables(load_workspace(RETAIL)) == [], "no exports.yaml, no export entries"


def test_an_unknown_table_names_the_file_and_key(tmp_path):
    found = problems(with_exports(tmp_path, {"feed": one(tables=["customer_ids", "golden_customers"])}))
    assert len(found) == 1 and found[0].startswith("exports.yaml: exports.feed.tables.1: unknown gold table "
                                                   "'golden_customers' (known: [")


def test_an_unknown_key_names_the_file_and_key(tmp_path):
    found = problems(with_exports(tmp_path, {"feed": one(formt="csv")}))
    assert any(p.startswith("exports.yaml: exports.feed.formt") for p in found), found


def test_a_bad_format_destination_and_name_are_each_reported(tmp_path):
    found = problems(with_exports(tmp_path, {"Feed": one(to="s3://bucket/x", format="xlsx")}))
    assert any(p.startswith("exports.yaml: exports.Feed.format") for p in found), found
    found = problems(with_exports(tmp_path / "b", {"Feed": one(to="s3://bucket/x")}))
    assert sorted(p.split(":")[1].strip() for p in found) == ["exports.Feed", "exports.Feed.to"]


def test_as_must_be_a_principal_of_access_yaml(tmp_path):
    found = problems(with_exports(tmp_path, {"feed": one(**{"as": STRANGER})}))
    assert found == [f"exports.yaml: exports.feed.as: principal {STRANGER} is not in access.yaml "
                     f"(principals: {sorted(load_workspace(RETAIL).access.principals)})"]
    found = problems(with_exports(tmp_path / "b", {"feed": one(**{"as": READER})}, access=False))
    assert found[0].startswith("exports.yaml: exports.feed.as: the workspace has no access.yaml")


def test_a_table_the_principal_may_not_read_fails_the_check_naming_the_grant(tmp_path):
    found = problems(with_exports(tmp_path, {"feed": one(tables=["customer_ids", "kpis_customer"],
                                                         **{"as": READER})}))
    assert len(found) == 1, found
    assert found[0].startswith("exports.yaml: exports.feed.tables.1: role 'reader' of ")
    assert "roles.reader.kpis" in found[0]


@pytest.mark.parametrize("uri, expected", [
    ("abfss://exports@acct.dfs.core.windows.net/crm/daily",
     Destination("dfs", "https://acct.dfs.core.windows.net", "exports", "crm/daily")),
    ("https://acct.blob.core.windows.net/exports/crm", Destination("blob", "https://acct.blob.core.windows.net",
                                                                   "exports", "crm")),
    ("http://127.0.0.1:10000/devstoreaccount1/exports", Destination("blob", "http://127.0.0.1:10000/devstoreaccount1",
                                                                    "exports", "")),
])
def test_destinations_parse_to_endpoint_container_and_folder(uri, expected):
    assert Destination.parse(uri) == expected
    assert Destination.parse(expected.uri) == expected


def test_a_destination_that_is_not_azure_storage_is_refused_saying_what_is_accepted():
    with pytest.raises(ValueError, match="abfss://<container>@<account>"):
        Destination.parse("/tmp/exports")


def test_the_graph_gets_one_export_asset_per_export_downstream_of_its_tables(tmp_path):
    import dagster as dg

    from orchestration.build import ASSET_FACTORIES

    folder = copy_retail(tmp_path)
    shutil.copy(EXAMPLE, folder / "exports.yaml")
    workspace = load_workspace(folder)
    assets = [a for factory in ASSET_FACTORIES for a in factory(workspace)]
    from orchestration.resources import LakeResource, MLflowResource, SparkResource

    resources = {"lake": LakeResource(root=str(tmp_path / "lake")), "spark": SparkResource(),
                 "mlflow": MLflowResource()}
    graph = dg.Definitions(assets=assets, resources=resources).resolve_asset_graph()
    exports = {"/".join(k.path) for k in graph.get_all_asset_keys() if k.path[0] == "export"}
    assert exports == {t.key for t in export_tables(workspace)}
    parents = {"/".join(k.path) for k in graph.get(dg.AssetKey(["export", "powerbi_snapshot"])).parent_keys}
    assert parents == {"gold/customer_360", "gold/kpis_customer"}
