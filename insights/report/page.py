"""Reads the lake, builds every section and writes DIR/index.html: one file, images inline, no server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from insights.report import permitted, sections
from insights.report.data import LakeReader, kpi_data, run_summary, segment_data
from insights.report.matching import MatchData, match_data
from insights.report.models import ModelData, model_data, score_frame
from schemas.environment import Environment
from schemas.permissions import Permissions, everything
from schemas.workspace import Workspace

TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("insights.report", "templates"),
                               autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined)


@dataclass(frozen=True)
class Report:
    """The page written and what is on it."""

    path: Path
    sections: list[sections.Section]

    @property
    def figures(self) -> list[str]:
        return [figure.id for section in self.sections for figure in section.figures]

    @property
    def missing(self) -> list[str]:
        return [note for section in self.sections for note in section.missing]


def build_sections(workspace: Workspace, env: Environment, allowed: Permissions | None = None) -> list[sections.Section]:
    """Every section, in page order, from the lake and the MLflow store, as the principal may see it (default: admin)."""
    allowed = allowed or everything()
    reader = LakeReader(env.lake_root)
    kpis = permitted.permitted_kpis(kpi_data(reader), allowed)
    return [
        _summary(workspace, reader, allowed),
        sections.kpi_section(kpis),
        sections.trend_section(kpis),
        sections.segment_section(permitted.permitted_segments(segment_data(reader), allowed)),
        _match(workspace, reader, allowed),
        _models(workspace, env, reader, allowed),
    ]


def _summary(workspace: Workspace, reader: LakeReader, allowed: Permissions) -> sections.Section:
    """The tables the principal may read whole; the quarantine (raw source rows) for admins only."""
    section = sections.summary_section(permitted.permitted_summary(run_summary(workspace, reader), allowed, workspace))
    if not allowed.admin:
        section.missing = [n for n in section.missing if "quarantine" not in n]
        section.facts = [f for f in section.facts if "quarantine" not in f[0]]
        section.missing.append(f"{allowed.who}: the quarantine holds raw source rows, shown to admins only; the "
                               "tables listed are those the role may read whole")
    return section


def _match(workspace: Workspace, reader: LakeReader, allowed: Permissions) -> sections.Section:
    """Match quality reads the identity tables: withheld, naming the grant, without the identity grant."""
    if not allowed.allows("identity"):
        empty = sections.match_section(MatchData(None, None, None, None, None))
        return permitted.withheld(empty, str(allowed.deny("identity", "identity")))
    return sections.match_section(match_data(workspace, reader))


def _models(workspace: Workspace, env: Environment, reader: LakeReader, allowed: Permissions) -> sections.Section:
    """Model quality of the granted predictions only; withheld, naming the grant, when none is granted."""
    names = [p for p in (workspace.predictions.predictions if workspace.predictions else [])
             if allowed.allows("predictions", p)]
    if workspace.predictions and not names:
        empty = sections.model_section(ModelData(None, [], []), None)
        return permitted.withheld(empty, str(allowed.deny(f"any prediction of {sorted(workspace.predictions.predictions)}",
                                                          "predictions")))
    scores = score_frame(reader)
    if scores is not None and not allowed.admin:
        scores = scores[scores["prediction"].isin(names)]
    return sections.model_section(model_data(workspace, env, names), scores)


def write_report(workspace: Workspace, env: Environment, out: Path, allowed: Permissions | None = None) -> Report:
    """Render the page into `out`/index.html (the folder is created) and say what it holds (as `allowed` sees it)."""
    built = build_sections(workspace, env, allowed)
    html = TEMPLATES.get_template("report.html").render(
        workspace=workspace.name, workspace_dir=env.workspace_dir, lake=env.lake_root,
        written=f"{datetime.now(UTC):%Y-%m-%d %H:%M}", sections=built)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(html, encoding="utf-8")
    return Report(path, built)
