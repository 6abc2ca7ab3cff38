"""The workspace loader: valid workspaces load, mistakes name their file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.errors import WorkspaceError
from schemas.loader import load_workspace
from tests.unit.workspace_edits import RETAIL, copy_retail, edit, problems

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def retail_copy(tmp_path: Path) -> Path:
    return copy_retail(tmp_path)


def test_bundled_example_loads():
    ws = load_workspace(RETAIL)
    assert ws.name == "retail"
    assert ws.model.primary_profile == "customer"
    assert len(ws.sources) >= 5
    assert {s.format for s in ws.sources.values()} == {"csv", "json", "parquet"}
    assert list(ws.sources_for("customer")) == ["crm_contacts", "webshop_accounts", "loyalty_members"]
    assert ws.source_location("crm_contacts") == str(RETAIL / "data" / "crm" / "contacts")


def test_unknown_attribute_names_file_and_key(retail_copy):
    edit(retail_copy, "sources.yaml", lambda d: d["sources"]["crm_contacts"]["mapping"].update(emial="Email"))
    [problem] = problems(retail_copy)
    assert problem.startswith("sources.yaml: sources.crm_contacts.mapping.emial:")
    assert "'customer' has no attribute 'emial'" in problem


def test_unknown_key_is_a_mistake(retail_copy):
    edit(retail_copy, "sources.yaml", lambda d: d["sources"]["stores"].update(fromat="csv"))
    [problem] = problems(retail_copy)
    assert "sources.yaml: sources.stores.fromat: unknown key" in problem


def test_unknown_target_type(retail_copy):
    edit(retail_copy, "sources.yaml", lambda d: d["sources"]["stores"].update(target={"profile": "shop"}))
    [problem] = problems(retail_copy)
    assert "sources.stores.target.profile: unknown profile type 'shop'" in problem


def test_link_to_a_source_of_the_wrong_type(retail_copy):
    def change(d):
        d["sources"]["web_orders"]["links"]["customer"]["source"] = "products"

    edit(retail_copy, "sources.yaml", change)
    [problem] = problems(retail_copy)
    assert "sources.web_orders.links.customer.source" in problem
    assert "feeds 'product'" in problem


def test_interaction_source_must_map_time(retail_copy):
    edit(retail_copy, "sources.yaml", lambda d: d["sources"]["web_orders"]["mapping"].pop("occurred_at"))
    [problem] = problems(retail_copy)
    assert "sources.web_orders.mapping: an interaction source must map 'occurred_at'" in problem


def test_wrong_type_and_bad_yaml_are_reported_together(retail_copy):
    edit(retail_copy, "model.yaml", lambda d: d["profiles"]["store"]["attributes"]["name"].update(type="text"))
    (retail_copy / "sources.yaml").write_text("sources: [unclosed\n")
    found = problems(retail_copy)
    assert any(p.startswith("model.yaml: profiles.store.attributes.name.type:") for p in found)
    assert any(p.startswith("sources.yaml: not valid YAML") for p in found)


def test_missing_file(retail_copy):
    (retail_copy / "model.yaml").unlink()
    [problem] = problems(retail_copy)
    assert problem.startswith("model.yaml: missing file")


def test_format_only_for_dates(retail_copy):
    edit(retail_copy, "sources.yaml",
         lambda d: d["sources"]["products"]["mapping"].update(list_price={"column": "price", "format": "x"}))
    [problem] = problems(retail_copy)
    assert "sources.products.mapping.list_price.format" in problem


def test_reference_doc_is_current():
    from schemas.reference import render, workspace_files

    committed = (ROOT / "docs" / "workspace.md").read_text()
    assert committed == render(workspace_files()), "run: python -m schemas.reference > docs/workspace.md"


def test_every_workspace_key_is_documented():
    from schemas.reference import _nested_models, workspace_files

    for _, model, _ in workspace_files():
        queue, seen = [model], set()
        while queue:
            current = queue.pop()
            if current in seen:
                continue
            seen.add(current)
            undocumented = [n for n, f in current.model_fields.items() if not f.description]
            assert not undocumented, f"{current.__name__}: {undocumented}"
            queue += _nested_models(current)


def test_the_core_alone_skips_the_sections_and_their_checks(tmp_path):
    """`insights customer` needs the model and settings only; a broken kpis.yaml does not stop it."""
    whole, core = load_workspace(RETAIL), load_workspace(RETAIL, sections=False)
    assert core.model == whole.model and core.settings == whole.settings and core.sources == whole.sources
    assert whole.kpis is not None and core.kpis is None and core.segments is None and core.predictions is None
    broken = copy_retail(tmp_path)
    (broken / "kpis.yaml").write_text("kpis: [not, a, mapping]\n")
    assert load_workspace(broken, sections=False).model == whole.model
    with pytest.raises(WorkspaceError, match="kpis.yaml"):
        load_workspace(broken)
