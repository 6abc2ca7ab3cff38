"""Spark on an abfss:// lake: the hadoop-azure jar matching pyspark's Hadoop, its auth settings, and redaction.

Property names are hadoop-azure 3.5.0's (org.apache.hadoop.fs.azurebfs.constants.ConfigurationKeys, and
AbfsConfiguration.getTokenProvider / getSASTokenProvider for which each provider requires), through spark.hadoop.*.
An identity (OAuth) is set for every account, so sources in other accounts are read as the same identity;
a SAS belongs to one account, so it is set for the lake's (the key ends in <account>.dfs.core.windows.net).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyspark

from schemas.azure_credentials import AbfssRoot, AuthMethod, AzureCredentials
from schemas.redaction import SECRET_PATTERN

OAUTH2 = "org.apache.hadoop.fs.azurebfs.oauth2"
PROVIDERS = {
    AuthMethod.SERVICE_PRINCIPAL: f"{OAUTH2}.ClientCredsTokenProvider",
    AuthMethod.WORKLOAD_IDENTITY: f"{OAUTH2}.WorkloadIdentityTokenProvider",
    AuthMethod.MANAGED_IDENTITY: f"{OAUTH2}.MsiTokenProvider",
}

# Spark redacts a property whose key or value matches (environment page, event log, logged conf): its default,
# (?i)secret|password|token|access[.]?key, plus SAS settings by key and SAS signatures (sig=) by value.
REDACTION_REGEX = SECRET_PATTERN
# Data source options shown in query plans (Spark's default is (?i)url).
SQL_OPTIONS_REDACTION_REGEX = r"(?i)url|secret|password|token|access[.]?key|sas|sig="


class HadoopVersionUnknown(RuntimeError):
    """pyspark ships no hadoop-client-api jar, so the hadoop-azure version to fetch cannot be told."""


def hadoop_version(jars: Path | None = None) -> str:
    """The Hadoop inside the pip pyspark, read from its hadoop-client-api-<version>.jar."""
    folder = jars or Path(pyspark.__file__).parent / "jars"
    found = sorted(folder.glob("hadoop-client-api-*.jar"))
    if len(found) != 1:
        raise HadoopVersionUnknown(f"expected one hadoop-client-api-*.jar in {folder}, found {[p.name for p in found]}")
    return found[0].name.removeprefix("hadoop-client-api-").removesuffix(".jar")


def hadoop_azure_package(jars: Path | None = None) -> str:
    """Maven coordinates of the ABFS connector at Spark's own Hadoop version (a mismatch fails at class load)."""
    return f"org.apache.hadoop:hadoop-azure:{hadoop_version(jars)}"


def redaction_conf() -> dict[str, str]:
    """Spark settings that keep credentials off the UI's environment page, the event log and query plans."""
    return {"spark.redaction.regex": REDACTION_REGEX, "spark.sql.redaction.options.regex": SQL_OPTIONS_REDACTION_REGEX}


def abfs_conf(root: AbfssRoot, credentials: AzureCredentials) -> dict[str, str]:
    """spark.hadoop.fs.azure.* authenticated by the chosen method: an identity for every account, a SAS for the lake's."""
    if credentials.method is not AuthMethod.SAS:
        settings = {"fs.azure.account.auth.type": "OAuth"} | _oauth_settings(credentials)
        return {f"spark.hadoop.{key}": value for key, value in settings.items()}
    assert credentials.sas_token is not None  # the model requires it
    settings = {"fs.azure.account.auth.type": "SAS",
                "fs.azure.sas.fixed.token": credentials.sas_token.get_secret_value().lstrip("?")}
    return {f"spark.hadoop.{key}.{root.host}": value for key, value in settings.items()}


def _oauth_settings(credentials: AzureCredentials) -> dict[str, str]:
    """The token provider and what it reads (hadoop-azure defaults the MSI endpoint and the token file's path)."""
    settings = {"fs.azure.account.oauth.provider.type": PROVIDERS[credentials.method]}
    if credentials.client_id:
        settings["fs.azure.account.oauth2.client.id"] = credentials.client_id
    if credentials.method is AuthMethod.SERVICE_PRINCIPAL:
        assert credentials.client_secret is not None
        settings["fs.azure.account.oauth2.client.endpoint"] = f"{credentials.authority}{credentials.tenant_id}/oauth2/token"
        settings["fs.azure.account.oauth2.client.secret"] = credentials.client_secret.get_secret_value()
    elif credentials.method is AuthMethod.WORKLOAD_IDENTITY:
        settings["fs.azure.account.oauth2.msi.tenant"] = str(credentials.tenant_id)
        settings["fs.azure.account.oauth2.msi.authority"] = credentials.authority
        settings["fs.azure.account.oauth2.token.file"] = str(credentials.federated_token_file)
    return settings


@dataclass(frozen=True)
class AbfsLake:
    """An abfss:// lake root and how to reach it: what a session needs beyond its profile."""

    root: AbfssRoot
    credentials: AzureCredentials

    @classmethod
    def of(cls, lake_root: str, credentials: AzureCredentials) -> AbfsLake:
        """The lake at an abfss:// URI (ValueError if it is not one)."""
        return cls(AbfssRoot.parse(lake_root), credentials)

    def conf(self) -> dict[str, str]:
        """The account's hadoop-azure settings (session_conf adds the jar and the redaction)."""
        return abfs_conf(self.root, self.credentials)
