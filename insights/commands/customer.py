"""`insights customer`: one customer's card, found by ID, email, phone or a fuzzy search.

Reads gold/customer_360 (and gold/customer_timeline for a longer timeline) with delta-rs, so
it answers in well under a second without starting Spark. Nothing found exits 1 with one line.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from insights.commands.context import AS_HELP, command_environment, command_permissions, command_workspace, has_access_file

if TYPE_CHECKING:
    import pyarrow.dataset as ds
    from rich.console import Console

    from insights.customer.card import Card
    from insights.customer.lookup import CustomerLake
    from insights.customer.search import Hit
    from schemas.model import Model
    from schemas.permissions import Permissions
    from schemas.workspace import Workspace


@click.command()
@click.argument("customer_id", required=False)
@click.option("--email", default=None, help="Email address (spelt as silver stores it before matching).")
@click.option("--phone", default=None, help="Phone number (E.164 with the workspace's default country, as silver).")
@click.option("--search", "text", default=None, help="Fuzzy search by name, email, phone or postcode: the top 10.")
@click.option("--timeline", "timeline_length", type=click.IntRange(min=1), default=None,
              help="Show the last N interactions from gold/customer_timeline (default: the card's own).")
@click.option("--json", "as_json", is_flag=True, help="Print the card (or the search results) as JSON.")
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False), default=None,
              help="Workspace folder (default: INSIGHTS_WORKSPACE, else examples/retail).")
@click.option("--lake", default=None, help="Lake root (default: INSIGHTS_LAKE, else ./lakehouse).")
@click.option("--as", "principal", default=None, help=AS_HELP)
def customer(customer_id: str | None, email: str | None, phone: str | None, text: str | None,
             timeline_length: int | None, as_json: bool, workspace_dir: str | None, lake: str | None,
             principal: str | None) -> None:
    """Show one customer's card: profile with sources, KPIs, segments, scores and recent interactions."""
    if sum(v is not None for v in (customer_id, email, phone, text)) != 1:
        raise click.UsageError("give exactly one of CUSTOMER_ID, --email, --phone or --search")
    if text is not None and timeline_length is not None:
        raise click.UsageError("--timeline lengthens one customer's card; --search lists candidates")
    from insights.customer.lookup import CustomerLake, NotAContact, NotBuilt
    from schemas.permissions import AccessDenied
    from schemas.tables import Lake

    env = command_environment(workspace_dir, lake)
    # The model and the phone region are all it needs, unless access.yaml decides what it may show.
    workspace = command_workspace(env, sections=has_access_file(env))
    allowed = command_permissions(env, workspace, principal)
    tables = CustomerLake(Lake(env.lake_root))
    try:
        _answer(tables, workspace, allowed, customer_id, {"email": email, "phone": phone}, text, timeline_length,
                as_json)
    except (NotBuilt, NotAContact, AccessDenied) as exc:
        raise click.ClickException(str(exc)) from exc


def _answer(tables: CustomerLake, workspace: Workspace, allowed: Permissions, customer_id: str | None,
            contact: dict[str, str | None], text: str | None, timeline_length: int | None, as_json: bool) -> None:
    """Find the customer(s) the principal may see and print the card, or the candidates to pick from."""
    from rich.console import Console

    from insights.customer import lookup, permitted, render
    from insights.customer.search import SearchColumns, hits_of, search

    model, region = workspace.model, workspace.settings.defaults.country
    allowed.require("customer_360")
    if customer_id is None:  # a search or lookup matches the golden record: the primary profile's data
        allowed.require("types", model.primary_profile)
    table, columns, console = tables.customer_360(), SearchColumns.of(model), Console()
    if text is not None:
        hits = search(table, columns, text, region, fields=permitted.searchable_fields(columns, allowed, model))
        if not hits:
            raise click.ClickException(f"no customer in {tables.path} matches '{text}' (name, email, phone or postcode)")
        return _print_hits([permitted.permitted_hit(h, columns, allowed, model) for h in hits], console, as_json,
                           f"customers matching '{text}'")
    if customer_id is None:
        kind, typed = next((k, v) for k, v in contact.items() if v is not None)
        permitted.require_unmasked(allowed, model, kind)
        value = lookup.spelt_as_silver(kind, typed, region)
        found = lookup.customers_with(tables, model, kind, value, records=allowed.allows("identity")
                                      and allowed.allows("types", model.primary_profile))
        if not found:
            raise click.ClickException(f"no customer in {tables.path} has {kind} {value}")
        if len(found) > 1:
            hits = [permitted.permitted_hit(h, columns, allowed, model) for h in hits_of(table, columns, found, kind)]
            return _print_hits(hits, console, as_json, f"{len(found)} customers have {kind} {value}")
        customer_id = found[0]
    card = _card(tables, table, model, allowed, customer_id, timeline_length)
    if as_json:
        click.echo(json.dumps(card.as_json(), ensure_ascii=False, allow_nan=False))
    else:
        render.print_card(card, console)


def _card(tables: CustomerLake, table: ds.Dataset, model: Model, allowed: Permissions, customer_id: str,
          timeline_length: int | None) -> Card:
    """The card of one customer ID as the principal may see it (a longer timeline from gold/customer_timeline if asked)."""
    from insights.customer import lookup
    from insights.customer.card import card_from_row
    from insights.customer.permitted import permitted_events, permitted_row, withheld

    row = lookup.customer_row(table, customer_id)
    if row is None:
        raise click.ClickException(f"no customer {customer_id} in {tables.path}")
    timeline = None
    if timeline_length is not None:
        events = tables.timeline()
        if events is None:
            raise click.ClickException(f"no gold/customer_timeline under {tables.lake.root}: run `insights run`")
        timeline = lookup.timeline_rows(events, customer_id, timeline_length,
                                       None if allowed.admin else sorted(allowed.types))
        timeline = permitted_events(timeline, allowed, model)
    card = card_from_row(permitted_row(row, allowed, model), list(model.interactions), timeline)
    return card.model_copy(update={"withheld": withheld(row, allowed, model)})


def _print_hits(hits: list[Hit], console: Console, as_json: bool, title: str) -> None:
    """Candidates as a table to pick from, or as a JSON list."""
    from dataclasses import asdict

    from insights.customer import render

    if as_json:
        click.echo(json.dumps([asdict(h) for h in hits], ensure_ascii=False))
    else:
        render.print_hits(hits, console, title)
