"""A SAS our code issues, checked by Azurite: it reads gold/customer_360 and is refused for another table and writes.

Real here: Azurite over HTTPS with `--oauth basic` hands out the user delegation key (Get User Delegation Key with
a bearer token), sas_request decides from access.yaml, sign_blobs signs with that key, and Azurite verifies each
signature, its scope (the blob it names), its permissions, validity and protocol. Not real: Entra ID (the token is
a JWT Azurite does not verify) and the directory scope (sr=d): Azurite's Blob endpoint has no hierarchical
namespace, so the Blob-endpoint equivalent, one SAS per file of the directory (sr=b), is what is enforced here.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import deltalake
import pandas as pd
import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobClient

from insights.access.lake_storage import LakeLocation
from insights.access.sas import sas_request, sign, sign_blobs
from schemas.loader import load_workspace
from schemas.permissions import permissions_for
from tests import azurite
from tests.azurite_oauth import SIGNER, TENANT, EntraToken, self_signed
from tests.unit.access_world import ANALYST_360, with_analyst_360
from tests.unit.workspace_edits import copy_retail, edit

PREFIX = "retail"


@pytest.fixture(scope="module")
def secure(tmp_path_factory):
    folder = tmp_path_factory.mktemp("azurite-tls")
    tls = self_signed(folder)
    with azurite.running(folder / "data", tls) as service:
        yield service, EntraToken(tls.key)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    folder = copy_retail(tmp_path_factory.mktemp("ws"))
    edit(folder, "access.yaml", with_analyst_360)
    return load_workspace(folder)


def delta_files(root, name: str, frame: pd.DataFrame) -> dict[str, bytes]:
    """A small Delta table written by delta-rs, as blob names under the lake prefix and their bytes."""
    deltalake.write_deltalake(str(root / name), frame)
    deltalake.write_deltalake(str(root / name), frame.head(1), mode="append")
    return {f"{PREFIX}/gold/{name}/{p.relative_to(root / name)}": p.read_bytes()
            for p in sorted((root / name).rglob("*")) if p.is_file()}


def overwritten(root, name: str) -> dict[str, bytes]:
    """A Delta table whose second commit overwrites the first: the first data file stays, in no current version."""
    deltalake.write_deltalake(str(root / name), pd.DataFrame({"customer_id": ["c9"], "channel": ["old"]}))
    first = {p.name for p in (root / name).glob("*.parquet")}
    deltalake.write_deltalake(str(root / name), pd.DataFrame({"customer_id": ["c1", "c2"], "channel": ["web", "store"]}),
                              mode="overwrite")
    files = {f"{PREFIX}/gold/{name}/{p.relative_to(root / name)}": p.read_bytes()
             for p in sorted((root / name).rglob("*")) if p.is_file()}
    (removed,) = first
    OLD_FILES[name] = f"{PREFIX}/gold/{name}/{removed}"
    return files


OLD_FILES: dict[str, str] = {}  # table -> its data file that the overwrite removed


@pytest.fixture(scope="module")
def lake(secure, tmp_path_factory):
    """gold/customer_360, customer_ids and customer_timeline (overwritten once) uploaded to container `lake`."""
    service, _ = secure
    root = tmp_path_factory.mktemp("gold")
    tables = {"customer_360": delta_files(root, "customer_360", pd.DataFrame(
                  {"customer_id": ["c1", "c2", "c3"], "email": ["a@x.org", None, "c@x.org"]})),
              "customer_ids": delta_files(root, "customer_ids", pd.DataFrame(
                  {"record_id": ["crm:1", "web:9"], "customer_id": ["c1", "c1"]})),
              "customer_timeline": overwritten(root, "customer_timeline")}
    container = service.container("lake")
    for files in tables.values():
        for name, data in files.items():
            container.upload_blob(name, data, overwrite=True)
    tables["root"] = root
    return tables


def issue(workspace, secure, principal: str, path: str, permissions: str = "r", now=None) -> dict[str, str]:
    service, token = secure
    request = sas_request(workspace, permissions_for(workspace, principal), path, permissions, "1h", PREFIX, now)
    return sign_blobs(request, service.account_url, "lake", credential=token, connection_verify=service.verify)


def with_sas(url: str, verify: str) -> BlobClient:
    """A client holding nothing but the SAS URL (no account key, no token)."""
    return BlobClient.from_blob_url(url, connection_verify=verify)


def test_a_sas_for_customer_360_reads_each_of_its_files(workspace, secure, lake, tmp_path):
    service, _ = secure
    urls = issue(workspace, secure, ANALYST_360, "gold/customer_360")
    assert sorted(urls) == sorted(lake["customer_360"]), "every file of the directory, nothing else"
    for name, url in urls.items():
        fields = dict(p.split("=", 1) for p in urlparse(url).query.split("&"))
        assert (fields["sr"], fields["sp"], fields["spr"]) == ("b", "r", "https")
        assert (fields["skoid"], fields["sktid"]) == (SIGNER, TENANT)  # the key Azurite issued to the token's oid
        data = with_sas(url, service.verify).download_blob().readall()
        assert hashlib.sha256(data).digest() == hashlib.sha256(lake["customer_360"][name]).digest()
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    read = deltalake.DeltaTable(str(tmp_path / PREFIX / "gold" / "customer_360")).to_pandas()
    assert sorted(read["customer_id"]) == ["c1", "c1", "c2", "c3"]


def refusal(action, code: str) -> HttpResponseError:
    """The action fails with 403 and Azurite's error code (what it checked and found wrong)."""
    with pytest.raises(HttpResponseError) as refused:
        action()
    assert (refused.value.status_code, refused.value.error_code) == (403, code), refused.value
    return refused.value


def test_the_same_sas_is_refused_for_another_table_and_for_writes(workspace, secure, lake):
    service, _ = secure
    urls = issue(workspace, secure, ANALYST_360, "gold/customer_360")
    name, url = next(iter(urls.items()))
    query = urlparse(url).query
    other = next(iter(lake["customer_ids"]))
    elsewhere = f"{service.account_url}/lake/{other}?{query}"
    refusal(lambda: with_sas(elsewhere, service.verify).download_blob().readall(), "AuthorizationFailure")
    refusal(lambda: with_sas(url, service.verify).upload_blob(b"overwritten", overwrite=True),
            "AuthorizationPermissionMismatch")
    refusal(lambda: with_sas(f"{service.account_url}/lake/{PREFIX}/gold/customer_360/new.parquet?{query}",
                             service.verify).upload_blob(b"new"), "AuthorizationFailure")
    widened = url.replace("sp=r&", "sp=rw&")
    assert widened != url
    refusal(lambda: with_sas(widened, service.verify).upload_blob(b"widened", overwrite=True), "AuthorizationFailure")
    assert with_sas(url, service.verify).download_blob().readall() == lake["customer_360"][name], "nothing changed"


def test_a_sas_without_the_signature_or_past_its_expiry_is_refused(workspace, secure, lake):
    service, _ = secure
    url = next(iter(issue(workspace, secure, ANALYST_360, "gold/customer_360").values()))
    unsigned = "&".join(p for p in url.split("&") if not p.startswith("sig="))
    refusal(lambda: with_sas(unsigned, service.verify).download_blob().readall(), "AuthorizationFailure")
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    expired = next(iter(issue(workspace, secure, ANALYST_360, "gold/customer_360", now=two_hours_ago).values()))
    refusal(lambda: with_sas(expired, service.verify).download_blob().readall(), "AuthorizationFailure")


def test_only_an_https_azurite_with_a_bearer_token_hands_out_the_key(secure):
    """The key is had with the signer's identity only: the account key alone is refused (Azurite wants Bearer)."""
    from azure.storage.blob import BlobServiceClient

    service, _ = secure
    keyed = BlobServiceClient(service.account_url, credential=service.credential(), connection_verify=service.verify)
    now = datetime.now(UTC)
    refused = refusal(lambda: keyed.get_user_delegation_key(now, now + timedelta(hours=1)), "AuthenticationFailed")
    assert "Bearer" in str(refused)


def test_the_directory_sas_gets_its_key_from_azurite_which_cannot_check_sr_d(workspace, secure, lake):
    """sign() (ADLS Gen2's sr=d) runs against Azurite up to the key; Azurite skips sr=d, so its file is refused.

    When Azurite learns directory SAS this fails: then the directory SAS itself can be checked here.
    """
    service, token = secure
    request = sas_request(workspace, permissions_for(workspace, ANALYST_360), "gold/customer_360", "r", "1h", PREFIX)
    url = sign(request, LakeLocation(service.account_url, "lake", PREFIX), credential=token,
               connection_verify=service.verify)
    fields = dict(p.split("=", 1) for p in urlparse(url).query.split("&"))
    assert (fields["sr"], fields["sdd"], fields["skoid"], fields["sktid"]) == ("d", "3", SIGNER, TENANT)
    name = next(iter(lake["customer_360"]))
    file_url = f"{service.account_url}/lake/{name}?{urlparse(url).query}"
    refusal(lambda: with_sas(file_url, service.verify).download_blob().readall(), "AuthorizationFailure")


def test_per_file_sas_covers_the_current_delta_version_only_and_refuses_beyond_the_role(
        workspace, secure, lake, tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner

    from insights.cli import main
    from jobs import delta_rs
    from tests.unit.access_world import MARKETING

    service, token = secure
    monkeypatch.setattr("azure.identity.DefaultAzureCredential", lambda **kwargs: token)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", service.verify)  # requests (azure-core's transport) trusts the test CA
    monkeypatch.setenv("INSIGHTS_MLFLOW_URI", "http://127.0.0.1:5000")
    opened = []
    monkeypatch.setattr(delta_rs, "open_delta", lambda path: opened.append(path) or deltalake.DeltaTable(
        str(lake["root"] / path.rsplit("/", 1)[-1])))  # the uploaded copy, read where it was written
    args = ["access", "sas", "--path", "gold/customer_timeline", "--per-file", "--blob-endpoint", service.account_url,
            "--workspace", str(workspace.root), "--lake", f"abfss://lake@{azurite.ACCOUNT}.dfs.core.windows.net/{PREFIX}"]
    done = CliRunner().invoke(main, [*args, "--as", ANALYST_360])
    assert done.exit_code == 0, done.output
    assert opened == [f"abfss://lake@{azurite.ACCOUNT}.dfs.core.windows.net/{PREFIX}/gold/customer_timeline"]
    urls = done.output.split()
    names = [urlparse(u).path.removeprefix(f"/{azurite.ACCOUNT}/lake/") for u in urls]
    uploaded = lake["customer_timeline"]
    assert sorted(names) == sorted(set(uploaded) - {OLD_FILES["customer_timeline"]}), "the current version, whole"
    for name, url in zip(names, urls, strict=True):
        assert "sr=b" in url and "sp=r&" in url
        data = with_sas(url, service.verify).download_blob().readall()
        assert data == uploaded[name]
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    read = deltalake.DeltaTable(str(tmp_path / PREFIX / "gold" / "customer_timeline")).to_pandas()
    assert sorted(read["customer_id"]) == ["c1", "c2"]
    removed = f"{service.account_url}/lake/{OLD_FILES['customer_timeline']}?{urlparse(urls[-1]).query}"
    refusal(lambda: with_sas(removed, service.verify).download_blob().readall(), "AuthorizationFailure")
    written = CliRunner().invoke(main, [*args, "--as", ANALYST_360, "--out", str(tmp_path / "sas.json")])
    assert written.exit_code == 0 and "wrote 3 SAS URLs (gold/customer_timeline v1)" in written.output
    assert sorted(json.loads((tmp_path / "sas.json").read_text())) == sorted(names)
    assert (tmp_path / "sas.json").stat().st_mode & 0o777 == 0o600
    masked = CliRunner().invoke(main, [*args, "--as", MARKETING])
    assert masked.exit_code == 1 and "may not read gold/customer_timeline as files" in masked.output
    wider = CliRunner().invoke(main, [*args, "--as", ANALYST_360, "--permissions", "rw"])
    assert wider.exit_code == 1 and "'w' is refused" in wider.output
