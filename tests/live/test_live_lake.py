"""Against a real ADLS Gen2 account: Delta on abfss with delta-rs, `insights access plan`, `insights access sas` (sr=d).

Each check reads back independently: the DFS listing for the files delta-rs wrote, access.yaml's desired ACLs
for the plan, the owner's own download for what the SAS read.
"""

from __future__ import annotations

from urllib.parse import urlparse

import deltalake
import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.filedatalake import DataLakeFileClient
from click.testing import CliRunner

from insights.access.acl import desired_acls
from insights.cli import main
from schemas.azure_credentials import AbfssRoot, object_store_options
from schemas.loader import load_workspace
from tests.unit.access_world import ANALYST_360, with_analyst_360
from tests.unit.export_world import gold_lake
from tests.unit.workspace_edits import copy_retail, edit

pytestmark = pytest.mark.live
TABLES = ["customer_360", "customer_ids", "golden_customer"]


@pytest.fixture(scope="module")
def workspace_dir(tmp_path_factory):
    folder = copy_retail(tmp_path_factory.mktemp("ws"))
    edit(folder, "access.yaml", with_analyst_360)
    return folder


@pytest.fixture(scope="module")
def lake(live, tmp_path_factory):
    """The example gold tables written to <session>/lake/gold/<table> on the account by delta-rs, and their rows."""
    local = gold_lake(tmp_path_factory.mktemp("gold"))
    root = live.abfss("lake")
    options = object_store_options(AbfssRoot.parse(root), live.credentials)
    rows = {}
    for name in TABLES:
        data = deltalake.DeltaTable(local.gold(name)).to_pyarrow_table()
        deltalake.write_deltalake(f"{root}/gold/{name}", data, storage_options=options)
        deltalake.write_deltalake(f"{root}/gold/{name}", data.slice(0, 1), mode="append", storage_options=options)
        rows[name] = data.to_pylist() + data.slice(0, 1).to_pylist()
    return root, options, rows


def test_delta_rs_writes_and_reads_a_table_on_abfss(live, lake):
    root, options, rows = lake
    table = deltalake.DeltaTable(f"{root}/gold/customer_ids", storage_options=options)
    assert table.version() == 1
    key = lambda r: (r["record_id"], r["customer_id"])
    assert sorted(table.to_pyarrow_table().to_pylist(), key=key) == sorted(rows["customer_ids"], key=key)
    listed = {p.name.rsplit("/", 1)[-1] for p in live.file_system().get_paths(f"{live.folder}/lake/gold/customer_ids")}
    assert {"_delta_log", *(f.rsplit("/", 1)[-1] for f in table.file_uris())} <= listed


def test_access_plan_prints_a_change_for_every_table_in_the_lake(live, lake, workspace_dir, monkeypatch):
    monkeypatch.setenv("INSIGHTS_MLFLOW_URI", "http://127.0.0.1:5000")  # a remote lake needs one; plan never calls it
    root, _, _ = lake
    done = CliRunner().invoke(main, ["access", "plan", "--workspace", str(workspace_dir), "--lake", root])
    assert done.exit_code == 0, done.output
    written = {f"{live.folder}/lake/gold/{name}" for name in TABLES}
    desired = {d.path for d in desired_acls(load_workspace(workspace_dir), f"{live.folder}/lake")}
    assert written <= desired
    for path in written:
        assert f"{path}  (recursive: the table and its files)" in done.output or f"{path}  unchanged" in done.output
    assert ANALYST_360 in done.output and "360 analysts (analyst_360)" in done.output  # granted by access.yaml
    assert done.output.rstrip().splitlines()[-1].endswith("to revoke)")


@pytest.fixture(scope="module")
def sas_url(lake, workspace_dir) -> str:
    """`insights access sas` for gold/customer_360 as the analyst group, signed as the identity running the suite."""
    root, _, _ = lake
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INSIGHTS_MLFLOW_URI", "http://127.0.0.1:5000")  # a remote lake needs one; sas never calls it
        done = CliRunner().invoke(main, ["access", "sas", "--path", "gold/customer_360", "--permissions", "rl",
                                         "--expires", "1h", "--as", ANALYST_360, "--workspace", str(workspace_dir),
                                         "--lake", root])
    assert done.exit_code == 0, done.output
    return done.output.strip()


def with_sas(live, path: str, token: str) -> DataLakeFileClient:
    """A file client holding nothing but the SAS (no identity)."""
    return DataLakeFileClient(live.dfs_url, live.container, f"{live.folder}/lake/{path}", credential=token)


def test_a_directory_sas_reads_customer_360_and_is_refused_elsewhere_and_for_writes(live, sas_url):
    token = urlparse(sas_url).query
    assert dict(p.split("=", 1) for p in token.split("&"))["sr"] == "d"
    log = "_delta_log/00000000000000000001.json"
    owner_copy = live.file_system().get_file_client(f"{live.folder}/lake/gold/customer_360/{log}")
    expected = owner_copy.download_file().readall()
    assert with_sas(live, f"gold/customer_360/{log}", token).download_file().readall() == expected
    for refused in (lambda: with_sas(live, f"gold/customer_ids/{log}", token).download_file(),
                    lambda: with_sas(live, "gold/customer_360/extra.json", token).upload_data(b"{}"),
                    lambda: with_sas(live, f"gold/customer_360/{log}", token).delete_file()):
        with pytest.raises(HttpResponseError) as error:
            refused()
        assert error.value.status_code == 403, error.value
    assert owner_copy.download_file().readall() == expected, "the refused write changed nothing"


def test_delta_rs_reads_customer_360_with_the_sas_alone_and_not_another_table(live, lake, sas_url):
    root, _, rows = lake
    options = {"azure_storage_account_name": live.account, "azure_storage_sas_key": urlparse(sas_url).query}
    read = deltalake.DeltaTable(f"{root}/gold/customer_360", storage_options=options).to_pyarrow_table()
    assert read.num_rows == len(rows["customer_360"])
    refused = (OSError, deltalake.exceptions.DeltaError)
    with pytest.raises(refused, match="403|AuthorizationPermissionMismatch|Forbidden"):
        deltalake.DeltaTable(f"{root}/gold/customer_ids", storage_options=options)
