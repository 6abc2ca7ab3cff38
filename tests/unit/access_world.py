"""The example's access.yaml principals, an ADLS lake root, and a copy of the retail workspace, for the access tests."""

from __future__ import annotations

import pytest

from schemas.loader import load_workspace
from tests.unit.workspace_edits import copy_retail

# examples/retail/access.yaml's principals: groups for the three roles, a service principal reading as reader.
ADMIN, READER, MARKETING, POWERBI = ("5f0c2a7e-3b1d-4c8e-9a6f-1d2e3f4a5b6c", "8a9b0c1d-2e3f-4a5b-8c7d-9e0f1a2b3c4d",
                                     "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f", "0d1e2f3a-4b5c-4d6e-9f7a-8b9c0d1e2f3a")
ANALYST_360 = "4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e"  # a group whose role may read gold/customer_360 whole (files)
STRANGER = "99999999-9999-4999-8999-999999999999"  # listed nowhere
LAKE = "abfss://lake@acct.dfs.core.windows.net/retail"


def with_analyst_360(access: dict) -> None:
    """access.yaml edit: a role granted everything customer_360 is built from, unmasked, so it may read its files."""
    every = {k: ["*"] for k in ("profiles", "interactions", "kpis", "segments", "predictions")}
    access["roles"]["analyst_360"] = {**every, "identity": True, "customer_360": True}
    access["principals"][ANALYST_360] = {"kind": "group", "role": "analyst_360", "name": "360 analysts"}


@pytest.fixture(scope="module")
def workspace_dir(tmp_path_factory):
    """The retail workspace's YAML files, access.yaml included, in a folder of their own."""
    return copy_retail(tmp_path_factory.mktemp("ws"))


@pytest.fixture(scope="module")
def retail(workspace_dir):
    return load_workspace(workspace_dir)
