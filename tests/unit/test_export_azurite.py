"""Exports to Azurite's Blob endpoint: complete and true to the manifest, masked, resumable, never seen partial.

Every check reads the container back independently (blobs downloaded, hashed with hashlib, parsed with
pyarrow) and compares with delta-rs reads of the source tables and hashes computed in export_world.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime, timedelta

import deltalake
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from jobs.export.destination import Destination, open_store
from jobs.export.export import run_export
from jobs.export.plan import plan_export
from schemas.loader import load_workspace
from schemas.permissions import AccessDenied, permissions_for
from tests import azurite
from tests.unit.export_world import ADMIN, PARTNER, PARTNER_360, READER, gold_lake, hashed, partner_workspace

TABLES = ["golden_customer", "customer_ids", "segment_sizes"]


@pytest.fixture(scope="module")
def blob(tmp_path_factory):
    with azurite.running(tmp_path_factory.mktemp("azurite")) as service:
        yield service


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return load_workspace(partner_workspace(tmp_path_factory.mktemp("ws")))


@pytest.fixture()
def lake(tmp_path):
    return gold_lake(tmp_path / "lake")


@pytest.fixture()
def container(blob, request):
    name = "t" + hashlib.sha256(request.node.name.encode()).hexdigest()[:20]
    return blob.container(name)


def export(workspace, lake, blob, container, principal=ADMIN, fmt="parquet", tables=TABLES, hook=None, part_rows=3,
           name="partner_feed", now=None):
    destination = Destination.parse(f"{blob.account_url}/{container.container_name}/out")
    plan = plan_export(workspace, lake, name, destination, tables, fmt,
                       permissions_for(workspace, principal))
    return run_export(plan, open_store(destination, blob.credential()), hook=hook, part_rows=part_rows, now=now)


def blobs(container) -> dict[str, bytes]:
    return {b.name: container.download_blob(b.name).readall() for b in container.list_blobs()}


def manifest_of(stored: dict[str, bytes]) -> dict:
    latest = json.loads(stored["out/_latest.json"])
    return json.loads(stored[latest["manifest"]])


def read_back(stored: dict[str, bytes], manifest: dict, table: dict, tmp_path) -> pa.Table:
    """The exported table as a reader would load it from the files the manifest lists."""
    base = f"out/{manifest['export_id']}/{table['folder']}/"
    if manifest["format"] == "delta":
        target = tmp_path / table["folder"]
        for f in table["files"]:
            (target / f["name"]).parent.mkdir(parents=True, exist_ok=True)
            (target / f["name"]).write_bytes(stored[base + f["name"]])
        return deltalake.DeltaTable(str(target)).to_pyarrow_table()
    reader = pq.read_table if manifest["format"] == "parquet" else pacsv.read_csv
    return pa.concat_tables([reader(io.BytesIO(stored[base + f["name"]])) for f in table["files"]])


def source(lake, name: str) -> pa.Table:
    return deltalake.DeltaTable(lake.gold(name)).to_pyarrow_table()


def assert_matches_manifest(stored: dict[str, bytes], manifest: dict) -> None:
    """Every file the manifest lists is there with its size and SHA-256."""
    for table in manifest["tables"]:
        for f in table["files"]:
            data = stored[f"out/{manifest['export_id']}/{table['folder']}/{f['name']}"]
            assert (len(data), hashlib.sha256(data).hexdigest()) == (f["size"], f["sha256"])


@pytest.mark.parametrize("fmt", ["parquet", "delta", "csv"])
def test_an_export_is_complete_and_matches_its_manifest(workspace, lake, blob, container, fmt, tmp_path):
    result = export(workspace, lake, blob, container, fmt=fmt)
    stored = blobs(container)
    manifest = manifest_of(stored)
    assert manifest["export_id"] == result.manifest.export_id and manifest["format"] == fmt
    assert [t["table"] for t in manifest["tables"]] == [f"gold/{n}" for n in TABLES]
    assert not [name for name in stored if name.startswith("out/_staging/")], "staging is left behind"
    assert_matches_manifest(stored, manifest)
    for table in manifest["tables"]:
        name = table["folder"]
        expected = source(lake, name)
        got = read_back(stored, manifest, table, tmp_path)
        assert table["delta_version"] == deltalake.DeltaTable(lake.gold(name)).version()
        assert table["rows"] == got.num_rows == expected.num_rows
        if fmt != "csv":
            assert got.sort_by("segment" if name == "segment_sizes" else "customer_id").to_pylist() == \
                expected.sort_by("segment" if name == "segment_sizes" else "customer_id").to_pylist()
        else:  # csv: text, nested values as JSON
            key = "segment" if name == "segment_sizes" else "customer_id"
            assert sorted(got.column(key).to_pylist()) == sorted(expected.column(key).to_pylist())
    assert manifest["tables"][0]["delta_version"] == 1  # golden_customer has two commits
    if fmt != "delta":  # 7 rows in parts of at most 3
        assert [f["name"] for f in manifest["tables"][0]["files"]] == [f"part-0000{i}.{fmt}" for i in range(3)]


def test_a_masked_role_sees_hashes_and_nulls_in_the_export(workspace, lake, blob, container, tmp_path):
    export(workspace, lake, blob, container, principal=PARTNER, tables=["golden_customer"])
    stored = blobs(container)
    manifest = manifest_of(stored)
    got = read_back(stored, manifest, manifest["tables"][0], tmp_path).sort_by("customer_id").to_pylist()
    expected = source(lake, "golden_customer").sort_by("customer_id").to_pylist()
    assert [r["email"] for r in got] == [hashed(r["email"]) if r["email"] else None for r in expected]
    assert all(r["phone"] is None for r in got) and all(r["phone"] for r in expected)
    assert [r["first_name"] for r in got] == [r["first_name"] for r in expected]  # unmasked stays as it was
    assert manifest["grants"] == {"principal": PARTNER, "role": "partner", "admin": False,
                                  "masks": {"email": "hash", "phone": "null"}}
    assert manifest["tables"][0]["masked_columns"] == {"email": "hash", "phone": "null"}
    assert not any(b"@example.com" in data for data in stored.values())


def test_customer_360_masks_the_golden_columns_and_the_related_profiles_attributes(workspace, lake, blob, container,
                                                                                    tmp_path):
    export(workspace, lake, blob, container, principal=PARTNER_360, tables=["customer_360"], fmt="delta")
    stored = blobs(container)
    manifest = manifest_of(stored)
    got = read_back(stored, manifest, manifest["tables"][0], tmp_path).sort_by("customer_id").to_pylist()
    expected = source(lake, "customer_360").sort_by("customer_id").to_pylist()
    for row, was in zip(got, expected, strict=True):
        assert row["email"] == (hashed(was["email"]) if was["email"] else None) and row["phone"] is None
        store = was["related_home_store"]
        assert row["related_home_store"] == (None if store is None else {**store, "name": hashed(store["name"])})
        assert row["records"] == was["records"] and row["email_source"] == was["email_source"]
    assert manifest["tables"][0]["masked_columns"] == {"email": "hash", "phone": "null",
                                                       "related_home_store.name": "hash", "timeline.channel": "null",
                                                       "timeline.amount": "hash"}


def as_exported(event: dict) -> dict:
    """A timeline event as partner_360 sees it: channel nulled, purchase.amount hashed (the field becomes text)."""
    amount = event["amount"]
    if event["interaction_type"] == "purchase":
        amount = hashed(str(amount))
    elif amount is not None:
        amount = str(amount)  # purchase_line's line_amount is not masked: its text, as the hash would read it
    return {**event, "channel": None, "amount": amount}


def test_timeline_events_are_masked_by_their_own_type_in_customer_360_and_customer_timeline(
        workspace, lake, blob, container, tmp_path):
    export(workspace, lake, blob, container, principal=PARTNER_360, tables=["customer_360", "customer_timeline"])
    stored = blobs(container)
    manifest = manifest_of(stored)
    got = {t["folder"]: read_back(stored, manifest, t, tmp_path).to_pylist() for t in manifest["tables"]}
    was_360 = {r["customer_id"]: r for r in source(lake, "customer_360").to_pylist()}
    assert sum(len(r["timeline"]) for r in got["customer_360"]) > len(got["customer_360"])
    for row in got["customer_360"]:
        assert row["timeline"] == [as_exported(e) for e in was_360[row["customer_id"]]["timeline"]]
    key = lambda r: (r["customer_id"], r["record_id"])  # noqa: E731
    expected = [as_exported(r) for r in source(lake, "customer_timeline").to_pylist()]
    assert sorted(got["customer_timeline"], key=key) == sorted(expected, key=key)
    assert manifest["tables"][1]["masked_columns"] == {"channel": "null", "amount": "hash"}


def test_daily_activity_channels_are_masked_by_each_rows_type_and_its_files_refused_to_the_role(
        workspace, lake, blob, container, tmp_path):
    from schemas.catalog import by_key
    from schemas.table_access import table_refusal

    export(workspace, lake, blob, container, principal=PARTNER_360, tables=["daily_activity"])
    stored = blobs(container)
    manifest = manifest_of(stored)
    got = read_back(stored, manifest, manifest["tables"][0], tmp_path).to_pylist()
    was = source(lake, "daily_activity").to_pylist()  # channel nulled where the type has the attribute
    expected = [{**r, "channel": r["channel"] if r["interaction_type"] == "web_visit" else None} for r in was]
    key = lambda r: r["interaction_type"]  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key) and manifest["tables"][0]["masked_columns"] == {
        "channel": "null"}
    why = table_refusal(by_key(workspace)["gold/daily_activity"], permissions_for(workspace, PARTNER_360), workspace)
    assert why == "masked columns ['purchase.channel', 'support_case.channel'] (files cannot mask: read it through " \
        "insights or an export)"


def test_a_table_the_role_is_not_granted_is_refused_naming_the_grant(workspace, lake, blob, container):
    with pytest.raises(AccessDenied) as refused:
        export(workspace, lake, blob, container, principal=READER, tables=["golden_customer", "kpis_customer"])
    assert "gold/kpis_customer" in str(refused.value) and "roles.reader.kpis" in str(refused.value)
    assert "golden_customer" not in str(refused.value)  # reader has identity: that one is granted
    assert blobs(container) == {}, "a refused export writes nothing"


class Killed(RuntimeError):
    """Raised by the test's hook to stop an export midway, as a crash would."""


def reader_view(container) -> None:
    """What a reader listing the container may see: no manifest, or a manifest all of whose files are there."""
    stored = blobs(container)
    manifests = [n for n in stored if n.endswith("/_manifest.json")]
    if "out/_latest.json" in stored:
        assert json.loads(stored["out/_latest.json"])["manifest"] in manifests
    for name in manifests:
        assert_matches_manifest(stored, json.loads(stored[name]))


@pytest.mark.parametrize("kill_after", [1, 4, 7, "table", "published", "manifest"])
def test_an_export_killed_midway_and_run_again_completes_with_every_table_once(
        workspace, lake, blob, container, kill_after, tmp_path):
    events: list[tuple[str, str]] = []

    def hook(event, path):
        events.append((event, path))
        reader_view(container)
        staged = sum(1 for e, _ in events if e == "staged")
        if (kill_after == staged and event == "staged") or event == kill_after:
            raise Killed(f"killed after {event} {path}")

    with pytest.raises(Killed):
        export(workspace, lake, blob, container, hook=hook)
    first_run = list(events)
    result = export(workspace, lake, blob, container, hook=lambda e, p: reader_view(container))
    stored = blobs(container)
    manifest = manifest_of(stored)
    assert [t["table"] for t in manifest["tables"]] == [f"gold/{n}" for n in TABLES]
    assert_matches_manifest(stored, manifest)
    published = {n for n in stored if n.startswith(f"out/{manifest['export_id']}/") and "/_" not in n[4:]}
    listed = {f"out/{manifest['export_id']}/{t['folder']}/{f['name']}" for t in manifest["tables"] for f in t["files"]}
    assert published == listed, "a file is doubled or missing"
    for table in manifest["tables"]:
        got = read_back(stored, manifest, table, tmp_path)
        assert got.num_rows == source(lake, table["folder"]).num_rows == table["rows"]
    done_before = {p.split("/")[-1].removesuffix(".json") for e, p in first_run if e == "table"}
    if kill_after not in ("published", "manifest"):
        assert {k.removeprefix("gold/") for k in result.resumed} == done_before
        assert len(result.resumed) + len(result.staged) == len(TABLES)
    again = export(workspace, lake, blob, container)
    assert again.already_published and again.manifest.export_id == manifest["export_id"]


def staging_ids(container) -> set[str]:
    return {b.name.split("/")[2] for b in container.list_blobs(name_starts_with="out/_staging/")}


def test_stale_staging_of_other_ids_is_removed_when_superseded_or_old_and_readers_never_see_it(
        workspace, lake, blob, container, caplog):
    def kill_at_first_file(event, path):
        if event == "staged":
            raise Killed(path)

    for name in ("partner_feed", "other_feed"):  # two abandoned exports: this name's, and another name's
        with pytest.raises(Killed):
            export(workspace, lake, blob, container, tables=["golden_customer"], hook=kill_at_first_file, name=name)
    container.upload_blob("out/_staging/0123456789abcdef/golden_customer/part-00000.parquet", b"older code's")
    abandoned = staging_ids(container)
    assert len(abandoned) == 3
    deltalake.write_deltalake(lake.gold("golden_customer"), source(lake, "golden_customer").slice(0, 1), mode="append")
    events = []

    def watch(event, path):
        events.append((event, path))
        reader_view(container)

    done = export(workspace, lake, blob, container, tables=["golden_customer"], hook=watch)  # a new version: new id
    assert done.cleaned == () and staging_ids(container) == abandoned, "written seconds ago: may still be running"
    now = datetime.now(UTC)
    with caplog.at_level("INFO", logger="jobs.export.stale"):
        later = export(workspace, lake, blob, container, tables=["golden_customer"], hook=watch,
                       now=now + timedelta(minutes=11))
    (superseded,) = later.cleaned
    assert later.already_published and f"superseded by export {done.manifest.export_id}" in superseded.reason
    assert superseded.path in caplog.text and ("cleaned", superseded.path) in events
    from insights.commands.export import render

    assert f"removed stale staging {superseded.path} (2 files): superseded by export" in render(later, "uri")
    kept = staging_ids(container)
    assert len(kept) == 2 and superseded.path.split("/")[-1] not in kept, "another name's staging is not superseded"
    day_later = export(workspace, lake, blob, container, tables=["golden_customer"], hook=watch,
                       now=now + timedelta(hours=25))
    assert {r.path.split("/")[-1] for r in day_later.cleaned} == kept and staging_ids(container) == set()
    assert all("unchanged for 25 h" in r.reason for r in day_later.cleaned)
    stored = blobs(container)
    manifest = manifest_of(stored)
    assert manifest["export_id"] == done.manifest.export_id and manifest["tables"][0]["rows"] == 8
    assert_matches_manifest(stored, manifest)


def connection_string(blob) -> str:
    return (f"DefaultEndpointsProtocol=http;AccountName={azurite.ACCOUNT};AccountKey={azurite.KEY};"
            f"BlobEndpoint={blob.account_url};")


def with_exports_yaml(folder, blob, container) -> None:
    (folder / "exports.yaml").write_text(
        f"exports:\n  partner_feed:\n    to: {blob.account_url}/{container.container_name}/out\n"
        f"    tables: [golden_customer, customer_ids]\n    as: {PARTNER}\n")


def test_insights_export_prints_the_manifest_and_applies_the_principals_masks(lake, blob, container, tmp_path,
                                                                               monkeypatch):
    from click.testing import CliRunner

    from insights.cli import main

    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", connection_string(blob))
    folder = partner_workspace(tmp_path)
    args = ["export", "--to", f"{blob.account_url}/{container.container_name}/out", "--tables",
            "golden_customer,customer_ids", "--format", "csv", "--as", PARTNER, "--workspace", str(folder),
            "--lake", lake.root]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    manifest = manifest_of(blobs(container))
    assert f"manifest {blob.account_url}/{container.container_name}/out/{manifest['export_id']}/_manifest.json" \
        in done.output
    assert "staged 2, resumed 0" in done.output and "masked ['email', 'phone']" in done.output
    csv = blobs(container)[f"out/{manifest['export_id']}/golden_customer/part-00000.csv"].decode()
    assert hashed("ann0@example.com") in csv and "ann0@example.com" not in csv
    again = CliRunner().invoke(main, args)
    assert "already published, nothing to do" in again.output
    refused = CliRunner().invoke(main, [*args[:4], "golden_customer,kpis_customer", *args[5:8], READER, *args[9:]])
    assert refused.exit_code == 1 and "roles.reader.kpis" in refused.output


def test_the_dagster_asset_of_an_export_materialises_it_without_spark(lake, blob, container, tmp_path, monkeypatch):
    import dagster as dg

    from orchestration.assets.exports import export_assets
    from orchestration.resources import LakeResource

    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", connection_string(blob))
    folder = partner_workspace(tmp_path)
    with_exports_yaml(folder, blob, container)
    workspace = load_workspace(folder)
    assets = export_assets(workspace)
    assert [a.key.path for a in assets] == [["export", "partner_feed"]]
    assert {tuple(k.path) for k in assets[0].dependency_keys} == {("gold", "golden_customer"), ("gold", "customer_ids")}
    done = dg.materialize(assets, resources={"lake": LakeResource(root=lake.root)})
    assert done.success
    metadata = done.asset_materializations_for_node(assets[0].op.name)[0].metadata
    manifest = manifest_of(blobs(container))
    assert metadata["export_id"].value == manifest["export_id"]
    assert metadata["rows"].value == {"gold/golden_customer": 7, "gold/customer_ids": 7}
    assert manifest["grants"]["role"] == "partner"


KILLER = """
import os, signal, sys
from jobs.export.destination import Destination, open_store
from jobs.export.export import run_export
from jobs.export.plan import plan_export
from schemas.loader import load_workspace
from schemas.permissions import permissions_for
from schemas.tables import Lake

workspace = load_workspace(sys.argv[1])
destination = Destination.parse(sys.argv[3])
staged = []

def hook(event, path):
    staged.append(event)
    if staged.count("staged") == int(sys.argv[4]):
        os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no finally: as a crash or an OOM kill

plan = plan_export(workspace, Lake(sys.argv[2]), "partner_feed", destination, sys.argv[5].split(","), "parquet",
                   permissions_for(workspace, None, local_lake=True))
run_export(plan, open_store(destination), hook=hook, part_rows=3)
"""


def test_an_export_process_killed_with_sigkill_is_completed_by_the_next_run(workspace, lake, blob, container):
    import signal
    import subprocess
    import sys

    env = {"AZURE_STORAGE_CONNECTION_STRING": connection_string(blob), "PATH": "/usr/bin:/bin"}
    uri = f"{blob.account_url}/{container.container_name}/out"
    done = subprocess.run([sys.executable, "-c", KILLER, str(workspace.root), lake.root, uri, "4", ",".join(TABLES)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    halfway = blobs(container)
    assert not [n for n in halfway if n.endswith("_manifest.json") or n.endswith("_latest.json")]
    assert any(n.endswith("/_tables/golden_customer.json") for n in halfway), "the first table was complete"
    plan = plan_export(workspace, lake, "partner_feed", Destination.parse(uri), TABLES, "parquet",
                       permissions_for(workspace, None, local_lake=True))
    resumed = run_export(plan, open_store(plan.destination, blob.credential()), part_rows=3)
    assert resumed.resumed == ["gold/golden_customer"] and resumed.staged == ["gold/customer_ids", "gold/segment_sizes"]
    stored = blobs(container)
    manifest = json.loads(stored[resumed.manifest_path])
    assert_matches_manifest(stored, manifest)
    assert [t["rows"] for t in manifest["tables"]] == [source(lake, n).num_rows for n in TABLES]


def test_a_missing_azurite_fails_under_ci_and_skips_elsewhere(monkeypatch, tmp_path):
    monkeypatch.setattr(azurite, "BINARY", tmp_path / "azurite-blob")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="make azurite"):
        azurite.binary()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="make azurite"):
        azurite.binary()
