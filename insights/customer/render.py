"""The card and the search results in the terminal, drawn with rich."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from insights.customer.card import Card, display
from insights.customer.search import Hit


def _table(title: str, *headers: str, keys: int = 1) -> Table:
    """A borderless table; its first `keys` columns (names, IDs) never wrap."""
    table = Table(title=title, title_justify="left", title_style="bold", show_edge=False, pad_edge=False)
    for n, header in enumerate(headers):
        table.add_column(header, overflow="fold", no_wrap=n < keys)
    return table


def _profile(card: Card) -> Table:
    table = _table("profile", "attribute", "value", "from")
    for name, sourced in card.profile.items():
        table.add_row(name, display(sourced.value), display(sourced.source))
    return table


def _records(card: Card) -> Table:
    table = _table(f"source records ({len(card.records)})", "record_id", "source", "key")
    for record in card.records:
        table.add_row(record.record_id, display(record.source), display(record.source_key))
    return table


def _kpis(card: Card) -> Table:
    table = _table(f"KPIs as of {display(card.kpis_as_of)}", "kpi", "value")
    table.columns[1].justify = "right"
    for name, value in card.kpis.items():
        table.add_row(name, display(value))
    return table


def _segments_and_scores(card: Card) -> Group:
    segments = _table("segments", "segment", "since")
    for member in card.segments:
        segments.add_row(member.segment, display(member.since))
    scores = _table("scores", "prediction", "score", "model", "version", "grade", "scored", keys=2)
    for s in card.scores:
        scores.add_row(s.prediction, f"{s.score:.3f}" if s.score is not None else "-", display(s.model_name),
                       display(s.model_version), display(s.grade), display(s.scored_at))
    counts = _table("interactions", "type", "count")
    for kind, count in card.interactions.items():
        counts.add_row(kind, f"{count:,}")
    return Group(segments, "", scores, "", counts)


def _related(card: Card) -> Table:
    table = _table("related profiles", "relationship", "profile")
    for name, profiles in card.related.items():
        shown = [", ".join(f"{k}={display(v)}" for k, v in p.items() if v is not None) for p in profiles]
        table.add_row(name, "\n".join(shown) or "-")
    return table


def _timeline(card: Card) -> Table:
    table = _table(f"recent interactions ({len(card.timeline)})", "when", "type", "channel", "amount", "record",
                   keys=2)
    table.columns[3].justify = "right"
    for event in card.timeline:
        table.add_row(display(event.occurred_at), event.interaction_type, display(event.channel),
                      display(event.amount), event.record_id)
    return table


def print_card(card: Card, console: Console) -> None:
    """The whole card: who (with sources), what they are worth, where they belong, what they did."""
    records = "record" if card.record_count == 1 else "records"
    about = (f"{display(card.record_count)} {records} from {display(card.sources)}; "
             f"row updated {display(card.updated_at)}")
    console.print(Panel(Group(about, "", _profile(card), "", _records(card)),
                        title=f"customer {card.customer_id}", expand=False))
    console.print(_kpis(card), "", _segments_and_scores(card))
    if card.related:
        console.print(_related(card))
    console.print(_timeline(card))
    for note in card.withheld:
        console.print(f"[dim]not shown to you: {note}[/dim]")


def print_hits(hits: list[Hit], console: Console, title: str) -> None:
    """Candidates to pick from, best first, each with the ID to look it up by."""
    table = _table(title, "#", "customer_id", "score", "matched", "name", "email", "phone", "postcode", keys=4)
    for n, hit in enumerate(hits, 1):
        table.add_row(str(n), hit.customer_id, f"{hit.score:.0f}", hit.matched, hit.name or "-",
                      display(hit.email), display(hit.phone), display(hit.postcode))
    console.print(table)
    console.print("show one with: insights customer <customer_id>")
