"""The table catalogue: every table of the lake declared once, with who writes it and what it holds.

A table's name is its lake path under the root and its Dagster asset key (`gold/customer_ids`),
and the module named here writes it (`jobs.identity.customer_ids`). Asset factories, checks,
suites, docs and `insights forget` read the catalogue instead of naming tables themselves.
Per-source and per-type tables (bronze, quarantine, silver) come from the workspace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from schemas.match import match_profile
from schemas.tables import BRONZE, GOLD, META, QUARANTINE, SILVER
from schemas.workspace import Workspace

Layer = Literal["bronze", "quarantine", "silver", "gold", "meta", "export"]
Entity = Literal[
    "source", "profile", "interaction", "identity", "kpi", "segment", "prediction", "activity",
    "measures", "customer_360", "ledger", "export",
]
EXPORT = "export"  # not a lake layer: an export's files live in its destination container
# Columns that name a person: a table with one of them is searched by `insights forget`.
PERSON_KEYS = ("customer_id", "record_id")


@dataclass(frozen=True)
class Table:
    """One table: where it lives, which module writes it, what enables it and what it holds."""

    layer: Layer
    name: str
    module: str  # the dotted module that writes it
    entity: Entity
    description: str
    enabled_by: tuple[str, ...] = ()  # workspace sections (or workspace.yaml keys) it needs
    personal: bool = False  # holds personal data (attributes marked pii, raw source rows)
    keys: tuple[str, ...] = ()  # columns that identify a person or record in it
    condition: Callable[[Workspace], bool] | None = None  # a finer rule than enabled_by

    @property
    def key(self) -> str:
        """'<layer>/<name>': the lake path under the root and the Dagster asset key."""
        return f"{self.layer}/{self.name}"

    def enabled(self, workspace: Workspace) -> bool:
        """Whether the workspace declares everything this table needs."""
        declared = all(_declares(workspace, section) for section in self.enabled_by)
        return declared and (self.condition is None or self.condition(workspace))


def _declares(workspace: Workspace, section: str) -> bool:
    value = getattr(workspace, section, None)
    if value is None:
        value = getattr(workspace.settings, section, None)
    return value is not None


def _gold(name: str, module: str, entity: Entity, description: str, *enabled_by: str,
          personal: bool = False, keys: tuple[str, ...] = (),
          condition: Callable[[Workspace], bool] | None = None) -> Table:
    return Table(GOLD, name, module, entity, description, tuple(enabled_by), personal, keys, condition)


def _measured(workspace: Workspace) -> bool:
    """Basic measures need silver tables of both the interaction and the measured profile."""
    measures = workspace.settings.basic_measures
    assert measures is not None
    interaction = workspace.model.interactions[measures.interaction]
    profile = interaction.links[measures.role].profile
    fed = workspace.silver_types()
    return profile in fed and measures.interaction in fed


def _resolvable(workspace: Workspace) -> bool:
    """Identity resolution needs a silver table of the profile it matches."""
    assert workspace.match is not None
    return match_profile(workspace.match, workspace) in workspace.silver_types()


def _has_linked_interactions(workspace: Workspace) -> bool:
    """Interactions get customers only when some fed interaction type links to the matched profile."""
    assert workspace.match is not None
    profile = match_profile(workspace.match, workspace)
    return _resolvable(workspace) and bool(workspace.model.roles_linking_to(profile, workspace.silver_types()))


def _has_grain(grain: str) -> Callable[[Workspace], bool]:
    def declared(workspace: Workspace) -> bool:
        return bool(workspace.kpis and workspace.kpis.of_grain(grain))

    declared.__doc__ = f"Only when kpis.yaml declares a KPI of grain {grain}."
    return declared


CUSTOMER_MEASURES = _gold(
    "customer_measures", "jobs.customer_measures", "measures",
    "order count, spend, first and last purchase per customer record", "basic_measures",
    keys=("record_id",), condition=_measured)
DAILY_ACTIVITY = _gold(
    "daily_activity", "jobs.daily_activity", "activity",
    "interactions per day, type and channel (one Dagster partition per day)", "activity")

IDENTITY_MODEL = _gold(
    "identity_model", "jobs.identity.identity_model", "identity",
    "trained match parameters, one version per training", "match",
    condition=_resolvable)
IDENTITY_PAIRS = _gold(
    "identity_pairs", "jobs.identity.identity_pairs", "identity",
    "scored candidate pairs with each comparison's level and weight", "match",
    keys=("record_id_l", "record_id_r"),
    condition=_resolvable)
IDENTITY_CLUSTERS = _gold(
    "identity_clusters", "jobs.identity.identity_clusters", "identity",
    "record -> cluster of this run, with its size and notes", "match", keys=("record_id",),
    condition=_resolvable)
CUSTOMER_IDS = _gold(
    "customer_ids", "jobs.identity.customer_ids", "identity",
    "record -> stable customer_id, the ID map", "match", keys=("record_id", "customer_id"),
    condition=_resolvable)
CUSTOMER_ID_HISTORY = _gold(
    "customer_id_history", "jobs.identity.customer_id_history", "identity",
    "every change of the ID map (new, merged, split, moved, removed)", "match",
    keys=("record_id", "old_customer_id", "new_customer_id"),
    condition=_resolvable)
GOLDEN_CUSTOMER = _gold(
    "golden_customer", "jobs.identity.golden_customer", "identity",
    "one row per customer, attributes by the merge policy", "match", personal=True,
    keys=("customer_id",),
    condition=_resolvable)
INTERACTION_CUSTOMERS = _gold(
    "interaction_customers", "jobs.identity.interaction_customers", "identity",
    "interaction record -> customer_id, and how it was linked", "match",
    keys=("record_id", "customer_id"),
    condition=_has_linked_interactions)

KPIS_CUSTOMER = _gold(
    "kpis_customer", "jobs.kpis.kpis_customer", "kpi",
    "one row per customer, one column per customer KPI", "kpis", keys=("customer_id",),
    condition=_has_grain("customer"))
KPIS_BUSINESS = _gold(
    "kpis_business", "jobs.kpis.kpis_business", "kpi",
    "business KPIs per period and dimension, every period kept", "kpis",
    condition=_has_grain("business"))

SEGMENT_MEMBERSHIP = _gold(
    "segment_membership", "jobs.segments.segment_membership", "segment",
    "current members of each segment, with the time they entered", "segments",
    keys=("customer_id",))
SEGMENT_EVENTS = _gold(
    "segment_events", "jobs.segments.segment_events", "segment",
    "every entry into and exit from a segment", "segments", keys=("customer_id",))
SEGMENT_SIZES = _gold(
    "segment_sizes", "jobs.segments.segment_sizes", "segment",
    "members, entries and exits per segment and run", "segments")
SEGMENT_OVERLAP = _gold(
    "segment_overlap", "jobs.segments.segment_overlap", "segment",
    "pairs of segments: shared members, shares, Jaccard", "segments")

SCORES = _gold(
    "scores", "ml.scores", "prediction",
    "one row per customer and prediction with the champion model's version", "predictions",
    keys=("customer_id",))

CUSTOMER_360 = _gold(
    "customer_360", "jobs.customer_360", "customer_360",
    "one row per customer: golden record with sources, source records, KPIs, segments, scores, "
    "interaction counts, related profiles and the recent timeline", "match", personal=True,
    keys=("customer_id",), condition=_has_linked_interactions)
CUSTOMER_TIMELINE = _gold(
    "customer_timeline", "jobs.customer_timeline", "interaction",
    "one row per interaction of a resolved customer (type, time, channel, amount, source record); "
    "files range-partitioned and sorted by customer_id with statistics on it, so one customer's "
    "rows are read from the few files whose min/max holds the ID", "match", personal=True,
    keys=("customer_id", "record_id"), condition=_has_linked_interactions)

INGEST_LOG = Table(META, "ingest_log", "jobs.ingest_log", "ledger",
                   "every landed file: source, batch, rows (re-landing adds nothing)")
SEGMENT_EVENT_COUNTS = Table(META, "segment_event_counts", "jobs.segments.segment_event_counts",
                             "segment", "event counts the segment rules test, kept up to date",
                             ("segments",), keys=("customer_id",))
FORGET_REQUESTS = Table(META, "forget_requests", "jobs.privacy.forget_requests", "ledger",
                        "queue and audit of `insights forget`: the identifier asked for while queued, "
                        "hashes only once resolved; status queued, erased, complete")

FIXED_TABLES: tuple[Table, ...] = (
    CUSTOMER_MEASURES, DAILY_ACTIVITY,
    IDENTITY_MODEL, IDENTITY_PAIRS, IDENTITY_CLUSTERS, CUSTOMER_IDS, CUSTOMER_ID_HISTORY,
    GOLDEN_CUSTOMER, INTERACTION_CUSTOMERS,
    KPIS_CUSTOMER, KPIS_BUSINESS,
    SEGMENT_MEMBERSHIP, SEGMENT_EVENTS, SEGMENT_SIZES, SEGMENT_OVERLAP,
    SCORES,
    CUSTOMER_TIMELINE, CUSTOMER_360,
    INGEST_LOG, SEGMENT_EVENT_COUNTS, FORGET_REQUESTS,
)


def bronze_table(source: str) -> Table:
    """bronze/<source>: the source's rows as they came, with the ingestion columns."""
    return Table(BRONZE, source, "jobs.bronze", "source", f"source {source} as it came",
                 personal=True)


def quarantine_table(source: str) -> Table:
    """quarantine/<source>: rows of the source that could not be read, with the reason."""
    return Table(QUARANTINE, source, "jobs.bronze", "source",
                 f"rows of {source} that could not be read, with the raw text and reason",
                 personal=True)


def silver_table(workspace: Workspace, type_name: str) -> Table:
    """silver/<type>: one profile or interaction type of the model, conformed."""
    model = workspace.model
    kind: Entity = "profile" if type_name in model.profiles else "interaction"
    personal = any(a.pii for a in model.attributes_of(type_name).values())
    return Table(SILVER, type_name, "jobs.silver", kind, f"{kind} type {type_name}",
                 personal=personal, keys=("record_id",))


def export_table(name: str) -> Table:
    """export/<name>: one export of exports.yaml, written to its destination (not the lake) by jobs/export/export.py."""
    return Table(EXPORT, name, "jobs.export.export", "export",
                 f"export {name} of exports.yaml: its gold tables, staged, published, with a manifest", ("exports",))


def export_tables(workspace: Workspace) -> list[Table]:
    """One entry per export of exports.yaml (none without it); kept out of catalog(), which lists lake tables."""
    return [export_table(name) for name in workspace.exports.exports] if workspace.exports else []


def catalog(workspace: Workspace) -> list[Table]:
    """Every table this workspace's pipeline may write, in layer order."""
    per_source = [f(source) for f in (bronze_table, quarantine_table) for source in workspace.sources]
    silver = [silver_table(workspace, t) for t in workspace.silver_types()]
    return per_source + silver + [t for t in FIXED_TABLES if t.enabled(workspace)]


def by_key(workspace: Workspace) -> dict[str, Table]:
    """The workspace's catalogue by '<layer>/<name>'."""
    return {table.key: table for table in catalog(workspace)}


def gold_tables(workspace: Workspace) -> list[Table]:
    """The gold tables the workspace enables, which the graph builds and the checks validate."""
    return [t for t in catalog(workspace) if t.layer == GOLD]


DOC_INTRO = """# Tables

Every table the pipeline writes, from the catalogue (`schemas/catalog.py`). A table's name is
its lake path under the root and its Dagster asset key; the module named writes it (through
`jobs/writes.py`). `insights forget` searches the tables with personal data or keys.

This page is generated from the catalogue (`python -m schemas.tables_doc > docs/tables.md`).
"""
SILVER_ISSUES_NOTE = (
    "Every silver table has `_issues`: array<struct<`attribute`, `reason`>>, one entry per email, phone or "
    "country of the row that was given but could not be normalised (the value is null; the raw value is "
    "in bronze), null when there is none. The reasons are `schemas/formats.py`'s `ISSUE_REASONS` (e.g. "
    "`not an e-mail address`, `too short for its region`, `not a valid number for its region`, "
    "`unknown country`); a blank value is no issue."
)
DOC_COLUMNS = ("table", "module", "entity", "enabled by", "personal data", "keys", "description")
EXAMPLE = "examples/retail"


def render_doc(example: Workspace) -> str:
    """docs/tables.md: one table per layer, per-source and per-type tables as patterns."""
    parts = [DOC_INTRO]
    for layer, rows, note in [
        (BRONZE, [_row(bronze_table("<source>"), "each source of sources.yaml")], _listed(example, BRONZE)),
        (QUARANTINE, [_row(quarantine_table("<source>"), "each source of sources.yaml")],
         _listed(example, QUARANTINE)),
        (SILVER, [("`silver/<type>`", "`jobs.silver`", "profile or interaction",
                   "each type of model.yaml that a source feeds", "when the type has pii attributes",
                   "`record_id`", "one profile or interaction type of the model, conformed")],
         _listed(example, SILVER) + "\n\n" + SILVER_ISSUES_NOTE),
        (GOLD, [_row(t) for t in FIXED_TABLES if t.layer == GOLD], ""),
        (META, [_row(t) for t in FIXED_TABLES if t.layer == META], ""),
    ]:
        lines = [f"## {layer}", "", "| " + " | ".join(DOC_COLUMNS) + " |", "|---" * len(DOC_COLUMNS) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        parts.append("\n".join(lines) + ("\n\n" + note if note else "") + "\n")
    return "\n".join(parts)


def _row(table: Table, enabled: str = "") -> tuple[str, ...]:
    rule = (table.condition.__doc__ or "").strip() if table.condition else ""
    enabled = enabled or ", ".join(f"`{s}`" for s in table.enabled_by) or "always"
    return (f"`{table.key}`", f"`{table.module}`", table.entity, f"{enabled}: {rule}" if rule else enabled,
            "yes" if table.personal else "no", ", ".join(f"`{k}`" for k in table.keys), table.description)


def _listed(example: Workspace, layer: Layer) -> str:
    """The example's concrete tables of a per-source or per-type layer."""
    tables = [t for t in catalog(example) if t.layer == layer]
    names = ", ".join(f"`{t.key}`" + (f" ({t.entity}{', personal' if t.personal else ''})"
                                       if layer == SILVER else "") for t in tables)
    return f"In `{EXAMPLE}`: {names}."

