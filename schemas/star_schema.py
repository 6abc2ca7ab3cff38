"""The Power BI star schema over the gold tables (infra/powerbi/star_schema.yaml), typed and checked.

The file is written by hand; this module reads it strictly and holds it to the table catalogue:
every gold table the example enables is placed (a dimension, a fact or `outside` the model, with
the reason), and a table the catalogue does not declare yet must say which branch brings it
(`pending`). tests/integration/test_powerbi_lake.py holds it to a materialised lake.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from schemas.catalog import gold_tables
from schemas.errors import Problem, WorkspaceError
from schemas.model import Strict
from schemas.parsing import parse_file
from schemas.workspace import Workspace

POWERBI_DIR = Path(__file__).resolve().parents[1] / "infra" / "powerbi"
STAR_FILE = "star_schema.yaml"


class Loaded(Strict):
    """What a table's query removes or reshapes so that Power BI loads scalar columns only."""

    drop_columns: list[str] = Field(default_factory=list,
                                    description="columns the query removes (nested ones a fact holds flat)")
    drop_prefixes: list[str] = Field(default_factory=list,
                                     description="column-name prefixes the query removes (per-workspace columns)")
    join_lists: list[str] = Field(default_factory=list,
                                  description="list-of-text columns the query turns into one comma-separated text")


class Dimension(Loaded):
    """A table with one row per key value, which the facts point at."""

    table: str = Field(description="gold table name (its lake path is gold/<table>)")
    key: str = Field(description="the column that identifies a row: unique and never null")
    description: str
    pending: str | None = Field(default=None, description="branch that adds the table to the catalogue")


class Reference(Strict):
    """A many-to-one relationship: a fact column pointing at a dimension's key."""

    column: str
    dimension: str
    history: bool = Field(default=False, description="the fact keeps rows of keys the dimension no longer has")


class Fact(Loaded):
    """A table of events or measures at a declared grain, related to the dimensions it references."""

    table: str
    grain: list[str] = Field(min_length=1, description="columns that together identify a row")
    description: str
    period: str | None = Field(default=None, description="the date or time column a report slices it by")
    pending: str | None = None
    references: list[Reference] = Field(default_factory=list)


class StarSchema(Strict):
    """The whole model: dimensions, facts and the gold tables left out of it."""

    dimensions: list[Dimension] = Field(min_length=1)
    facts: list[Fact] = Field(min_length=1)
    outside: dict[str, str] = Field(default_factory=dict, description="gold table -> why it is not in the model")

    @model_validator(mode="after")
    def _references_name_dimensions(self) -> StarSchema:
        known = {d.table for d in self.dimensions}
        for fact in self.facts:
            for ref in fact.references:
                if ref.dimension not in known:
                    raise ValueError(f"fact {fact.table}: references unknown dimension '{ref.dimension}' "
                                     f"(known: {sorted(known)})")
        return self

    def tables(self) -> list[Dimension | Fact]:
        """The dimensions and facts, in file order."""
        return [*self.dimensions, *self.facts]

    def relationships(self) -> list[tuple[Fact, Reference, Dimension]]:
        """Every (fact, reference, dimension) triple, for the model view and the lake checks."""
        dims = {d.table: d for d in self.dimensions}
        return [(f, r, dims[r.dimension]) for f in self.facts for r in f.references]


def load_star_schema(folder: Path = POWERBI_DIR) -> StarSchema:
    """star_schema.yaml read strictly; every mistake is reported with its key."""
    problems: list[Problem] = []
    star = parse_file(folder, STAR_FILE, StarSchema, problems)
    if star is None:
        raise WorkspaceError(problems)
    return star


def check_star_schema(star: StarSchema, workspace: Workspace) -> list[Problem]:
    """The star schema names the catalogue's gold tables, each once, and no table it does not know."""
    catalogued = {t.name for t in gold_tables(workspace)}
    placed = [t.table for t in star.tables()] + list(star.outside)
    problems = [Problem(STAR_FILE, name, "placed twice (a table is a dimension, a fact or outside, once)")
                for name in sorted({n for n in placed if placed.count(n) > 1})]
    problems += [Problem(STAR_FILE, name, f"gold/{name} is in the catalogue but not in the star schema: "
                         "add it as a dimension or fact, or under outside with the reason")
                 for name in sorted(catalogued - set(placed))]
    for table in star.tables():
        if table.pending and table.table in catalogued:
            problems.append(Problem(STAR_FILE, table.table, f"the catalogue declares gold/{table.table} now: "
                                    f"remove 'pending: {table.pending}'"))
        elif not table.pending and table.table not in catalogued:
            problems.append(Problem(STAR_FILE, table.table, f"gold/{table.table} is not in the catalogue "
                                    f"(known: {sorted(catalogued)}); mark it 'pending: <branch>' if it is coming"))
    problems += [Problem(STAR_FILE, f"outside.{name}", "not a gold table of the catalogue")
                 for name in star.outside if name not in catalogued]
    return problems


def model_tables(star: StarSchema, workspace: Workspace) -> list[str]:
    """Every gold table Power BI gets a query for: the catalogue's, then the pending ones of the model."""
    names = [t.name for t in gold_tables(workspace)]
    return names + [t.table for t in star.tables() if t.pending and t.table not in names]
