"""infra/azure/main.bicep: a locked-down ADLS Gen2 account, the pipeline identity's roles, the environment's outputs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from urllib.parse import urlparse

import pytest
import yaml

from schemas.access import AccessFile
from schemas.azure_credentials import AZURE_VARIABLES, AbfssRoot, AuthMethod
from schemas.environment import VARIABLES, Environment
from schemas.exports import ExportFile
from tests.unit.azure_template import (
    EXAMPLE_PARAMETERS,
    INFRA,
    TEMPLATE,
    example_parameters,
    load_template,
    parameter_value,
    resolve,
)

ROOT = INFRA.parents[1]
RETAIL = ROOT / "examples" / "retail"
# Built-in role definition IDs, from Microsoft's "Azure built-in roles for Storage" (the same in every cloud).
CONTRIBUTOR, OWNER, READER = ("ba92f5b4-2d11-453d-a403-e96b0029c9fe", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
                              "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1")
ENVIRONMENT_OUTPUTS = {"INSIGHTS_LAKE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "INSIGHTS_AZURE_AUTH"}


@pytest.fixture(scope="module")
def template():
    return load_template()


def role_assignments(template) -> dict[str, tuple[str, str, str]]:
    """Symbolic name -> (scope, role definition ID, principal) of every role assignment."""
    found = {}
    for name, body in template.resources_of("Microsoft.Authorization/roleAssignments").items():
        role = body["properties"]["roleDefinitionId"]["function"]
        assert role["type"] == "subscription_resource_id", f"{name}: role not given by its built-in ID"
        role_id = resolve(template, {}, role["parameters"]["resource_name_1"])
        principal = json.dumps(body["properties"]["principalId"])
        found[name] = (body["scope"], role_id, principal)
    return found


def test_the_account_is_adls_gen2_tls12_private_and_keyless_by_default(template):
    (account,) = template.resources_of("Microsoft.Storage/storageAccounts").values()
    props = account["properties"]
    assert account["kind"] == "StorageV2" and props["isHnsEnabled"] is True
    assert props["minimumTlsVersion"] == "TLS1_2" and props["supportsHttpsTrafficOnly"] is True
    assert props["allowBlobPublicAccess"] is False and props["defaultToOAuthAuthentication"] is True
    assert resolve(template, {}, props["allowSharedKeyAccess"]) is False


def test_containers_are_the_lake_and_exports_named_by_parameters(template):
    containers = template.resources_of("Microsoft.Storage/storageAccounts/blobServices/containers")
    assert {c["name"] for c in containers.values()} == {"lakeContainerName", "exportsContainerName"}
    assert all(c["properties"]["publicAccess"] == "None" and c["parent"] == "blobService" for c in containers.values())
    (service,) = template.resources_of("Microsoft.Storage/storageAccounts/blobServices").values()
    assert service["parent"] == "account" and service["name"] == "default"


def test_the_pipeline_identity_contributes_and_readers_get_nothing_at_account_scope(template):
    assignments = role_assignments(template)
    assert assignments["pipelineContributor"][:2] == ("account", CONTRIBUTOR)
    pipeline_principal = assignments["pipelineContributor"][2]
    assert '"identity"' in pipeline_principal and "principalId" in pipeline_principal
    assert assignments["adminOwner"][:2] == ("account", OWNER)
    assert assignments["exportReader"][:2] == ("exportsContainer", READER)
    # Readers' per-table access is access.yaml's, as ACLs: no data-reading role on the whole account.
    assert [n for n, (scope, role, _) in assignments.items() if scope == "account" and role == READER] == []
    assert not any(r["type"].startswith("Microsoft.Graph/") for r in template.resources.values())


def test_the_federated_credential_trusts_the_run_pods_service_account(template):
    fic = template.resources["federation"]["config"]
    assert fic["condition"] == "federated"
    props = fic["config"]["properties"]
    assert props["audiences"] == ["api://AzureADTokenExchange"] and props["issuer"] == "oidcIssuerUrl"
    subject = resolve(template, {}, props["subject"])
    accounts = [d["metadata"] for d in yaml.safe_load_all((ROOT / "infra/kubernetes/spark-rbac.yaml").read_text())
                if d and d["kind"] == "ServiceAccount"]
    assert subject in {f"system:serviceaccount:{a['namespace']}:{a['name']}" for a in accounts}
    helm = (ROOT / "infra/dagster/helm/values.yaml").read_text()
    assert f"serviceAccountName: {parameter_value(template, {}, 'serviceAccountName')}" in helm


def test_outputs_are_the_variables_the_pipeline_reads(template):
    known = set(VARIABLES.values()) | set(AZURE_VARIABLES.values())
    upper = {name for name in template.outputs if name.isupper()}
    assert upper == ENVIRONMENT_OUTPUTS and upper <= known
    auth = template.outputs["INSIGHTS_AZURE_AUTH"]["value"]
    assert set(re.findall(r"'([a-z_]+)'", json.dumps(auth))) <= {m.value for m in AuthMethod}


def test_the_example_deployment_gives_a_lake_root_the_environment_accepts(template, tmp_path):
    values = example_parameters()
    assert set(values) <= set(template.parameters), f"{EXAMPLE_PARAMETERS.name}: unknown parameters"
    # Azure's naming rules (Microsoft.Storage 2023-05-01): account 3-24 of [a-z0-9], containers 3-63, lower case.
    assert re.fullmatch(r"[a-z0-9]{3,24}", values["storageAccountName"]), values["storageAccountName"]
    for name in ("lakeContainerName", "exportsContainerName"):
        assert re.fullmatch(r"[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]", values[name]), values[name]
    lake = resolve(template, values, template.outputs["INSIGHTS_LAKE"]["value"])
    root = AbfssRoot.parse(lake)
    assert (root.container, root.account, root.folder) == (
        values["lakeContainerName"], values["storageAccountName"], values["lakeFolder"])
    token = tmp_path / "token"
    token.write_text("fake")
    env = Environment.from_env({"INSIGHTS_LAKE": lake, "INSIGHTS_MLFLOW_URI": "https://mlflow.example.com",
                                "INSIGHTS_AZURE_AUTH": "workload_identity", "AZURE_CLIENT_ID": "c",
                                "AZURE_TENANT_ID": "t",
                                "AZURE_FEDERATED_TOKEN_FILE": str(token), "INSIGHTS_WORKSPACE": str(RETAIL)})
    assert env.lake_root == lake and env.azure.method == AuthMethod.WORKLOAD_IDENTITY


def test_the_example_parameters_match_access_yaml_and_exports(template):
    values = example_parameters()
    access = AccessFile.model_validate(yaml.safe_load((RETAIL / "access.yaml").read_text()))
    admins = {oid for oid, p in access.principals.items() if access.roles[p.role].admin and p.kind == "group"}
    assert set(values["adminGroupObjectIds"]) == admins
    exports = ExportFile.model_validate(yaml.safe_load((RETAIL / "exports.yaml.example").read_text())).exports
    on_account = [e for e in exports.values() if values["storageAccountName"] in urlparse(e.to).netloc]
    assert on_account, "no export of exports.yaml.example goes to the example account"
    for export in on_account:
        to = urlparse(export.to)
        container = to.netloc.split("@")[0] if to.scheme == "abfss" else to.path.strip("/").split("/")[0]
        assert container == values["exportsContainerName"], export.to
    readers = {e.as_ for e in exports.values() if getattr(e, "as_", None)}
    assert set(values["exportReaderObjectIds"]) == readers
    assert {access.principals[r].kind for r in readers} == {"service_principal"}
    assert values["exportReaderPrincipalType"] == "ServicePrincipal"


def test_docs_name_every_parameter_and_output(template):
    text = (ROOT / "docs" / "deploy.md").read_text()
    section = text.split("### The resources as code (Bicep)", 1)[1].split("\n## ", 1)[0]
    missing = [n for n in [*template.parameters, *template.outputs] if f"`{n}`" not in section]
    assert missing == [], f"docs/deploy.md's Bicep section does not name {missing}"
