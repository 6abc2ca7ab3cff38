"""A session for an abfss:// lake carries hadoop-azure at Spark's Hadoop and the account's settings per method (no Spark)."""

from __future__ import annotations

import re
from pathlib import Path

import pyspark
import pytest

from jobs import session
from jobs.abfs import AbfsLake, HadoopVersionUnknown, hadoop_azure_package, hadoop_version
from jobs.session import delta_package, session_conf
from schemas.azure_credentials import AZURE_VARIABLES
from schemas.environment import azure_credentials
from schemas.spark_profile import load_profile

LAKE = "abfss://lake@contoso.dfs.core.windows.net/insights"
HOST = "contoso.dfs.core.windows.net"
SECRET = "fake-secret-3f1c"
SAS = "sv=2024-11-04&ss=b&srt=co&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=fakesig3f1c%3D"

# hadoop-azure 3.5.0's names (ConfigurationKeys.java) written out, not derived from the code under test.
AUTH, PROVIDER = "fs.azure.account.auth.type", "fs.azure.account.oauth.provider.type"
CLIENT_ID, SECRET_KEY = "fs.azure.account.oauth2.client.id", "fs.azure.account.oauth2.client.secret"
ENDPOINT, TENANT = "fs.azure.account.oauth2.client.endpoint", "fs.azure.account.oauth2.msi.tenant"
AUTHORITY, TOKEN_FILE = "fs.azure.account.oauth2.msi.authority", "fs.azure.account.oauth2.token.file"
FIXED_SAS = "fs.azure.sas.fixed.token"
METHODS = {
    "service_principal": (
        {"AZURE_CLIENT_ID": "cid", "AZURE_TENANT_ID": "tid", "AZURE_CLIENT_SECRET": SECRET},
        {AUTH: "OAuth", PROVIDER: "org.apache.hadoop.fs.azurebfs.oauth2.ClientCredsTokenProvider", CLIENT_ID: "cid",
         ENDPOINT: "https://login.microsoftonline.com/tid/oauth2/token", SECRET_KEY: SECRET},
    ),
    "workload_identity": (
        {"AZURE_CLIENT_ID": "cid", "AZURE_TENANT_ID": "tid", "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token"},
        {AUTH: "OAuth", PROVIDER: "org.apache.hadoop.fs.azurebfs.oauth2.WorkloadIdentityTokenProvider",
         CLIENT_ID: "cid", TENANT: "tid", AUTHORITY: "https://login.microsoftonline.com/", TOKEN_FILE: "/var/run/token"},
    ),
    "managed_identity": (
        {"AZURE_CLIENT_ID": "user-assigned"},
        {AUTH: "OAuth", PROVIDER: "org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider", CLIENT_ID: "user-assigned"},
    ),
    "sas": ({"AZURE_STORAGE_SAS_TOKEN": "?" + SAS}, {AUTH: "SAS", FIXED_SAS: SAS}),
}


@pytest.fixture()
def fetched(monkeypatch):
    """The packages session_conf checks it can fetch, recorded instead of asked of Maven Central."""
    asked: list[str] = []
    monkeypatch.setattr(session, "ensure_delta_jar_reachable",
                        lambda timeout=15.0, package=None: asked.append(package or delta_package()))
    return asked


def _azure(conf: dict[str, str]) -> dict[str, str]:
    """The fs.azure.* settings of conf without the spark.hadoop. prefix: a SAS's for the lake's account, else for all."""
    keys = [k for k in conf if "fs.azure" in k]
    assert all(k.startswith("spark.hadoop.fs.azure.") for k in keys)
    sas = conf.get(f"spark.hadoop.{AUTH}.{HOST}") == "SAS"
    assert all(k.endswith(f".{HOST}") == sas for k in keys)  # a SAS is one account's; an identity every account's
    return {k.removeprefix("spark.hadoop.").removesuffix(f".{HOST}"): conf[k] for k in keys}


@pytest.mark.parametrize("method", METHODS)
def test_each_method_sets_the_accounts_hadoop_azure_settings(method, fetched):
    variables, expected = METHODS[method]
    credentials = azure_credentials(variables)
    assert credentials.method == method  # inferred from the variables alone
    conf = session_conf(load_profile("test"), AbfsLake.of(LAKE, credentials))
    assert _azure(conf) == expected


def test_an_explicit_method_ignores_the_other_methods_variables(fetched):
    variables = METHODS["service_principal"][0] | {AZURE_VARIABLES["method"]: "managed_identity"}
    conf = session_conf(load_profile("test"), AbfsLake.of(LAKE, azure_credentials(variables)))
    assert _azure(conf) == METHODS["managed_identity"][1] | {CLIENT_ID: "cid"}
    assert SECRET not in str(conf)


def test_a_sovereign_cloud_authority_reaches_the_token_endpoint(fetched):
    variables = METHODS["service_principal"][0] | {"AZURE_AUTHORITY_HOST": "https://login.microsoftonline.us"}
    conf = _azure(session_conf(load_profile("test"), AbfsLake.of(LAKE, azure_credentials(variables))))
    assert conf[ENDPOINT] == "https://login.microsoftonline.us/tid/oauth2/token"


def test_hadoop_azure_is_fetched_next_to_delta_at_pysparks_hadoop(fetched):
    jars = {p.name for p in (Path(pyspark.__file__).parent / "jars").glob("hadoop-client-*.jar")}
    versions = {re.fullmatch(r"hadoop-client-(?:api|runtime)-(.+)\.jar", name).group(1) for name in jars}
    assert len(versions) == 1, jars  # api and runtime agree: that is the Hadoop Spark runs
    conf = session_conf(load_profile("test"), AbfsLake.of(LAKE, azure_credentials(METHODS["sas"][0])))
    hadoop_azure = f"org.apache.hadoop:hadoop-azure:{versions.pop()}"
    assert conf["spark.jars.packages"].split(",") == [delta_package(), hadoop_azure]
    assert fetched == [delta_package(), hadoop_azure]  # both checked before Spark is asked to fetch them


def test_a_local_lake_gets_neither_the_jar_nor_azure_settings(fetched):
    conf = session_conf(load_profile("test"))
    assert conf["spark.jars.packages"] == delta_package()
    assert not _azure(conf) and fetched == [delta_package()]


def test_a_platform_that_ships_delta_gets_the_settings_but_no_packages(fetched):
    conf = session_conf(load_profile("databricks"), AbfsLake.of(LAKE, azure_credentials(METHODS["sas"][0])))
    assert "spark.jars.packages" not in conf and fetched == []
    assert _azure(conf) == METHODS["sas"][1]


def test_hadoop_version_comes_from_the_one_client_api_jar(tmp_path):
    (tmp_path / "hadoop-client-api-3.9.1.jar").touch()
    assert hadoop_version(tmp_path) == "3.9.1"
    assert hadoop_azure_package(tmp_path) == "org.apache.hadoop:hadoop-azure:3.9.1"
    (tmp_path / "hadoop-client-api-3.9.2.jar").touch()
    with pytest.raises(HadoopVersionUnknown, match="expected one hadoop-client-api-\\*.jar"):
        hadoop_version(tmp_path)


def test_an_abfss_root_with_a_query_or_without_an_account_is_refused():
    credentials = azure_credentials(METHODS["sas"][0])
    for root in (f"{LAKE}?{SAS}", "abfss://lake/insights"):
        with pytest.raises(ValueError, match="is not an ADLS Gen2 location"):
            AbfsLake.of(root, credentials)
