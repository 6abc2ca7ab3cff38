"""The live suite runs only with an account and an Entra identity; otherwise its skip names what is missing."""

from __future__ import annotations

import pytest

from tests.live.conftest import ACCOUNT_VARIABLE, IDENTITY_VARIABLES, missing_variables

ACCOUNT = {ACCOUNT_VARIABLE: "acct"}
SECRET = {"AZURE_CLIENT_ID": "c", "AZURE_TENANT_ID": "t", "AZURE_CLIENT_SECRET": "s"}


@pytest.mark.parametrize(("environ", "missing"), [
    ({}, [ACCOUNT_VARIABLE, IDENTITY_VARIABLES]),
    (SECRET, [ACCOUNT_VARIABLE]),
    ({**ACCOUNT, **SECRET}, []),
    ({**ACCOUNT, "AZURE_CLIENT_SECRET": "s"}, [("authentication 'service_principal' needs AZURE_CLIENT_ID, "
                                               "AZURE_TENANT_ID to be set")]),
    ({**ACCOUNT, "AZURE_CLIENT_ID": "c", "AZURE_TENANT_ID": "t", "AZURE_FEDERATED_TOKEN_FILE": "/var/token"}, []),
    ({**ACCOUNT, "INSIGHTS_AZURE_AUTH": "managed_identity"}, []),
    ({**ACCOUNT, "AZURE_CLIENT_ID": "c"}, [IDENTITY_VARIABLES]),  # managed identity only when asked for
    ({**ACCOUNT, "AZURE_STORAGE_SAS_TOKEN": "sv=x&sig=y"},
     [f"an Entra identity, not AZURE_STORAGE_SAS_TOKEN: {IDENTITY_VARIABLES}"]),
    ({**ACCOUNT, "INSIGHTS_AZURE_AUTH": "kerberos"}, [("INSIGHTS_AZURE_AUTH: 'kerberos' is not a method (known: "
                                                      "['service_principal', 'workload_identity', 'managed_identity', "
                                                      "'sas'])")]),
])
def test_missing_variables_are_named(environ, missing):
    assert missing_variables(environ) == missing
