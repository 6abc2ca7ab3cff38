"""Reads the lake, builds every section and writes DIR/index.html: one file, images inline, no server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from insights.report import sections
from insights.report.data import LakeReader, kpi_data, run_summary, segment_data
from insights.report.matching import match_data
from insights.report.models import model_data, score_frame
from schemas.environment import Environment
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


def build_sections(workspace: Workspace, env: Environment) -> list[sections.Section]:
    """Every section, in page order, from the lake and the MLflow store."""
    reader = LakeReader(env.lake_root)
    kpis = kpi_data(reader)
    return [
        sections.summary_section(run_summary(workspace, reader)),
        sections.kpi_section(kpis),
        sections.trend_section(kpis),
        sections.segment_section(segment_data(reader)),
        sections.match_section(match_data(workspace, reader)),
        sections.model_section(model_data(workspace, env), score_frame(reader)),
    ]


def write_report(workspace: Workspace, env: Environment, out: Path) -> Report:
    """Render the page into `out`/index.html (the folder is created) and say what it holds."""
    built = build_sections(workspace, env)
    html = TEMPLATES.get_template("report.html").render(
        workspace=workspace.name, workspace_dir=env.workspace_dir, lake=env.lake_root,
        written=f"{datetime.now(UTC):%Y-%m-%d %H:%M}", sections=built)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(html, encoding="utf-8")
    return Report(path, built)
