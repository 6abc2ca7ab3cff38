"""Against a real ADLS Gen2 account: an export (jobs/export) lands complete, true to its manifest, masked, staging gone.

The container is read back with the DFS client (files downloaded and hashed with hashlib) and compared with the
manifest and with delta-rs reads of the local source tables, as the Azurite export tests do on the Blob endpoint.
"""

from __future__ import annotations

import io
import json

import deltalake
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jobs.export.destination import Destination, open_store
from jobs.export.export import run_export
from jobs.export.plan import plan_export
from schemas.loader import load_workspace
from schemas.permissions import permissions_for
from tests.unit.export_world import PARTNER, gold_lake, hashed, partner_workspace
from tests.unit.test_export_azurite import assert_matches_manifest

pytestmark = pytest.mark.live
TABLES = ["golden_customer", "customer_ids"]


def stored_files(live, folder: str) -> dict[str, bytes]:
    """Every file under the session's folder/<folder>, named from <folder> on (out/...), with its bytes."""
    client = live.file_system()
    base = f"{live.folder}/"
    return {p.name.removeprefix(base): client.get_file_client(p.name).download_file().readall()
            for p in client.get_paths(f"{live.folder}/{folder}") if not p.is_directory}


def test_an_export_to_the_account_is_complete_masked_and_matches_its_manifest(live, tmp_path):
    lake = gold_lake(tmp_path / "lake")
    workspace = load_workspace(partner_workspace(tmp_path / "ws"))
    destination = Destination.parse(live.abfss("out"))
    plan = plan_export(workspace, lake, "partner_feed", destination, TABLES, "parquet",
                       permissions_for(workspace, PARTNER))
    result = run_export(plan, open_store(destination, live.credential), part_rows=3)
    stored = stored_files(live, "out")
    latest = json.loads(stored["out/_latest.json"])
    assert latest["manifest"] == result.manifest_path  # paths in the container: <session folder>/out/<id>/...
    manifest = json.loads(stored[latest["manifest"].removeprefix(f"{live.folder}/")])
    assert manifest["export_id"] == result.manifest.export_id
    assert [t["table"] for t in manifest["tables"]] == [f"gold/{n}" for n in TABLES]
    assert not [n for n in stored if n.startswith("out/_staging/")], "staging is left behind"
    assert_matches_manifest(stored, manifest)
    golden = manifest["tables"][0]
    got = pa.concat_tables([pq.read_table(io.BytesIO(stored[f"out/{manifest['export_id']}/golden_customer/{f['name']}"]))
                            for f in golden["files"]]).sort_by("customer_id").to_pylist()
    expected = deltalake.DeltaTable(lake.gold("golden_customer")).to_pyarrow_table().sort_by("customer_id").to_pylist()
    assert [r["email"] for r in got] == [hashed(r["email"]) if r["email"] else None for r in expected]
    assert all(r["phone"] is None for r in got)
    again = run_export(plan, open_store(destination, live.credential), part_rows=3)
    assert again.already_published
