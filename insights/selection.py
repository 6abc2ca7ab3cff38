"""What `insights run --select` materialises: the user's Dagster asset selection, widened to whole steps."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import dagster as dg

EXAMPLES = ("e.g. --select '*gold/kpis_customer' (it and everything upstream), 'silver/customer+' "
            "(and downstream), 'key:bronze/stores or key:silver/store', 'group:gold'")


class SelectionError(ValueError):
    """A --select that cannot be parsed or names no asset; the message is one line with an example."""


@dataclass(frozen=True)
class Selection:
    """The asset keys a run materialises, and those a multi-asset step writes besides the chosen ones."""

    text: str | None
    keys: list[str]
    added: list[str] = field(default_factory=list)

    @property
    def asset_keys(self) -> list[dg.AssetKey] | None:
        """The keys for Dagster; None (the whole job) when nothing was selected."""
        return None if self.text is None else [dg.AssetKey.from_user_string(k) for k in self.keys]

    def note(self) -> str | None:
        """One line saying which assets were added, and why; None when none were."""
        if not self.added:
            return None
        return (f"--select {self.text!r}: also running {len(self.added)} asset(s) written in one step "
                f"with selected ones: {', '.join(self.added)}")


def resolve_selection(text: str | None, graph) -> Selection:
    """The selection with the required neighbours of multi-assets that cannot be split (bronze writes
    bronze/<source> and quarantine/<source> in one step), so Dagster accepts it instead of failing."""
    if text is None or not text.strip():
        return Selection(None, _names(dg.AssetSelection.all().resolve(graph)))
    try:
        chosen = dg.AssetSelection.from_string(text.strip())
    except dg.DagsterError as exc:
        raise SelectionError(f"cannot parse --select {text!r}; {EXAMPLES}") from exc
    try:
        picked = chosen.resolve(graph)
    except dg.DagsterInvalidSubsetError as exc:
        raise SelectionError(_unknown(text, str(exc), graph)) from exc
    if not picked:
        raise SelectionError(f"--select {text!r} selects no assets; {EXAMPLES}")
    widened = chosen.required_multi_asset_neighbors().resolve(graph)
    return Selection(text, _names(widened), _names(widened - picked))


def _unknown(text: str, message: str, graph) -> str:
    """Name the keys that do not exist, with the closest real ones."""
    found = re.search(r"\[([^\]]*)\]", message.splitlines()[0])
    missing = [m.strip(" '\"") for m in found.group(1).split(",")] if found else []
    known = _names(graph.materializable_asset_keys)
    close = [c for m in missing for c in difflib.get_close_matches(m, known, n=2)]
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    what = ", ".join(missing) or text
    return f"--select {text!r}: no asset {what}{hint}; {EXAMPLES}"


def _names(keys) -> list[str]:
    return sorted(key.to_user_string() for key in keys)
