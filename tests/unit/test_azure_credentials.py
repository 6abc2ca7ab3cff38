"""Azure credentials come from the variables azure-identity reads, typed and strict; delta-rs gets the same method.

The delta-rs tests point the account's endpoint, the authority and the MSI endpoint at a loopback server and
read the request delta-rs sends: the SAS signature, the client secret, the federated token or the client ID
arrive where Azure expects them, so the storage option names are right (no Azure account needed).
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import deltalake
import pytest

from schemas.azure_credentials import AZURE_VARIABLES, AbfssRoot, AuthMethod, object_store_options
from schemas.environment import Environment, InvalidEnvironment, azure_credentials, delta_storage_options

LAKE = "abfss://lake@contoso.dfs.core.windows.net/insights"
SECRET = "fake-secret-7d2e"
SP = {"AZURE_CLIENT_ID": "cid", "AZURE_TENANT_ID": "tid", "AZURE_CLIENT_SECRET": SECRET}


def test_the_method_is_inferred_in_default_azure_credentials_order():
    wi = {"AZURE_CLIENT_ID": "cid", "AZURE_TENANT_ID": "tid", "AZURE_FEDERATED_TOKEN_FILE": "/t"}
    assert azure_credentials(SP | wi).method is AuthMethod.SERVICE_PRINCIPAL
    assert azure_credentials(wi).method is AuthMethod.WORKLOAD_IDENTITY
    assert azure_credentials({}).method is AuthMethod.MANAGED_IDENTITY
    assert azure_credentials(SP | {"AZURE_STORAGE_SAS_TOKEN": "sv=1&sig=x"}).method is AuthMethod.SAS


def test_a_chosen_method_keeps_only_what_it_uses():
    sas = azure_credentials(SP | {"AZURE_STORAGE_SAS_TOKEN": "sv=1&sig=x"})
    assert (sas.client_id, sas.client_secret, sas.tenant_id) == (None, None, None)
    chosen = azure_credentials(SP | {"INSIGHTS_AZURE_AUTH": "managed_identity"})
    assert (chosen.client_id, chosen.client_secret) == ("cid", None)


def test_a_missing_variable_is_named():
    with pytest.raises(InvalidEnvironment, match="'service_principal' needs AZURE_TENANT_ID, AZURE_CLIENT_SECRET"):
        azure_credentials({"AZURE_CLIENT_ID": "cid", "INSIGHTS_AZURE_AUTH": "service_principal"})
    with pytest.raises(InvalidEnvironment, match=r"INSIGHTS_AZURE_AUTH: 'key' is not a method \(known: \['service_"):
        azure_credentials({"INSIGHTS_AZURE_AUTH": "key"})


def test_the_environment_reads_credentials_for_an_abfss_lake_only(tmp_path):
    environ = SP | {"INSIGHTS_MLFLOW_URI": "http://mlflow:5000", "INSIGHTS_LAKE": LAKE}
    remote = Environment.from_env(environ)
    assert remote.azure is not None and remote.azure.method is AuthMethod.SERVICE_PRINCIPAL
    assert Environment.from_env(environ, lake_root=str(tmp_path)).azure is None
    with pytest.raises(InvalidEnvironment, match="'workload_identity' needs AZURE_CLIENT_ID"):
        Environment.from_env({"INSIGHTS_MLFLOW_URI": "x", "INSIGHTS_AZURE_AUTH": "workload_identity"}, lake_root=LAKE)


def test_the_secret_never_prints():
    credentials = azure_credentials(SP)
    assert SECRET not in repr(credentials) and SECRET not in str(credentials)
    assert SECRET not in credentials.model_dump_json()
    assert credentials.client_secret is not None and credentials.client_secret.get_secret_value() == SECRET


def test_storage_options_for_local_paths_are_none():
    assert delta_storage_options("/data/lake/gold/scores", SP) is None
    assert delta_storage_options(f"{LAKE}/gold/scores", SP) == {
        "azure_storage_account_name": "contoso", "azure_client_id": "cid", "azure_tenant_id": "tid",
        "azure_client_secret": SECRET}


@pytest.fixture()
def loopback() -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    """An HTTP server on 127.0.0.1 that answers 400 to everything and records (method, path, body)."""
    seen: list[tuple[str, str, str]] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            seen.append((self.command, self.path, self.rfile.read(size).decode() if size else ""))
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_HEAD = _answer

        def log_message(self, *args: object) -> None:
            """Quiet: the test reads what was sent."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def _open(options: dict[str, str], url: str, monkeypatch) -> None:
    """Open the lake's table with delta-rs against the loopback server (it fails: the server refuses)."""
    for variable in AZURE_VARIABLES.values():  # delta-rs merges AZURE_* from the process: keep the test's own
        monkeypatch.delenv(variable, raising=False)
    reroute = {"azure_storage_endpoint": url, "azure_allow_http": "true", "max_retries": "0"}
    with pytest.raises(OSError):
        deltalake.DeltaTable(f"{LAKE}/gold/scores", storage_options=options | reroute)


def test_delta_rs_sends_the_sas_signature(loopback, monkeypatch):
    url, seen = loopback
    credentials = azure_credentials({"AZURE_STORAGE_SAS_TOKEN": "sv=2024-11-04&sr=d&sig=fakesig"})
    _open(object_store_options(AbfssRoot.parse(LAKE), credentials), url, monkeypatch)
    query = parse_qs(urlsplit(seen[0][1]).query)
    assert seen[0][1].startswith("/lake/insights/gold/scores/_delta_log/") and query["sig"] == ["fakesig"]


def test_delta_rs_asks_the_authority_with_the_client_secret(loopback, monkeypatch):
    url, seen = loopback
    credentials = azure_credentials(SP | {"AZURE_AUTHORITY_HOST": url})
    _open(object_store_options(AbfssRoot.parse(LAKE), credentials), url, monkeypatch)
    method, path, body = seen[0]
    form = parse_qs(body)
    assert (method, path) == ("POST", "/tid/oauth2/v2.0/token")
    assert (form["client_id"], form["client_secret"], form["grant_type"]) == (["cid"], [SECRET], ["client_credentials"])


def test_delta_rs_exchanges_the_federated_token(loopback, monkeypatch, tmp_path):
    url, seen = loopback
    (tmp_path / "token").write_text("federated-jwt")
    credentials = azure_credentials({"AZURE_CLIENT_ID": "cid", "AZURE_TENANT_ID": "tid", "AZURE_AUTHORITY_HOST": url,
                                     "AZURE_FEDERATED_TOKEN_FILE": str(tmp_path / "token")})
    _open(object_store_options(AbfssRoot.parse(LAKE), credentials), url, monkeypatch)
    method, path, body = seen[0]
    assert (method, path, parse_qs(body)["client_assertion"]) == ("POST", "/tid/oauth2/v2.0/token", ["federated-jwt"])


def test_delta_rs_asks_the_managed_identity_endpoint_for_the_client(loopback, monkeypatch):
    url, seen = loopback
    credentials = azure_credentials({"AZURE_CLIENT_ID": "user-assigned"})
    options = object_store_options(AbfssRoot.parse(LAKE), credentials)
    assert options == {"azure_storage_account_name": "contoso", "azure_client_id": "user-assigned"}
    _open(options | {"azure_msi_endpoint": f"{url}/msi/token"}, url, monkeypatch)
    method, path, _ = seen[0]
    assert method == "GET" and urlsplit(path).path == "/msi/token"
    assert parse_qs(urlsplit(path).query)["client_id"] == ["user-assigned"]


@pytest.mark.parametrize("variables,first", [
    (SP, "EnvironmentCredential"),
    ({"AZURE_CLIENT_ID": "cid", "AZURE_TENANT_ID": "tid", "AZURE_FEDERATED_TOKEN_FILE": "/t"}, "WorkloadIdentityCredential"),
    (SP | {"INSIGHTS_AZURE_AUTH": "managed_identity"}, "ManagedIdentityCredential"),
])
def test_python_clients_get_the_same_identity_as_spark(monkeypatch, variables, first):
    for variable in AZURE_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    for variable, value in variables.items():
        monkeypatch.setenv(variable, value)
    chain = [type(c).__name__ for c in azure_credentials().token_credential().credentials]
    assert chain[0] == first  # DefaultAzureCredential tries the chosen identity first ...
    others = {"EnvironmentCredential", "WorkloadIdentityCredential", "ManagedIdentityCredential"} - {first}
    assert not others & set(chain)  # ... and never another identity


def test_python_clients_get_the_sas_itself():
    assert azure_credentials({"AZURE_STORAGE_SAS_TOKEN": "sv=1&sig=x"}).token_credential() == "sv=1&sig=x"
