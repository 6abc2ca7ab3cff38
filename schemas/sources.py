"""Where data comes from (sources.yaml): location, format, target type and column mapping."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from schemas.model import Strict

SourceFormat = Literal["csv", "json", "parquet"]
NewColumnPolicy = Literal["evolve", "fail"]
MissingColumnPolicy = Literal["tolerate", "fail"]
TypeChangePolicy = Literal["quarantine", "fail"]

# How files are read (jobs/readers.py, jobs/bronze.py), for the workspace reference.
READING = """**How files are read.** CSV is read as RFC 4180 writes it unless a source's `options` say
otherwise: over Spark's own defaults, `header: true`, `escape: '"'` (a quote inside a quoted
field is doubled) and `multiLine: true` (a quoted field may hold line breaks, as well as
separators and doubled quotes). Spark's default, `multiLine: false`, reads line by line and cuts
a quoted line break in two: the row would land with that value truncated and the rest of it be
quarantined as a row of its own. The price of the default: Spark reads each CSV file in one task
instead of splitting it; set `multiLine: false` only for large files known to hold no line break
in a value.

A row that cannot be parsed (wrong number of fields, broken quoting) is quarantined whole: its
raw text, every line of it, and the reason; no part of it lands. A quote that is never closed
makes one record of everything up to the next quote or the end of the file (a quoted field runs
to its closing quote; Python's csv module reads it the same way): that record is quarantined whole, with the reason "a quote is
never closed, so this record runs over N lines ...", and none of the rows inside it lands. The
ingest log knows a file by its path, so deliver the corrected file under a new name. In a file
whose lines end in CRLF, a CRLF inside a quoted value is read as LF (the parser normalises line
endings inside quotes when it detects them); in a file of LF lines, a CRLF in a value is kept.

A NUL or other control character inside a quoted value is data and lands as written (the
reader sets Spark's `charToEscapeQuoteEscaping` to the quote when the escape is the quote: its
default, NUL, made the parser drop NULs from quoted values). Two shapes RFC 4180 does not allow
are read as Spark reads them, not quarantined: text after a closing quote (`"Bob"x` lands as
`"Bob"x`, and the rows after it land as they are: Spark's `unescapedQuoteHandling` default,
`STOP_AT_DELIMITER`; `STOP_AT_CLOSING_QUOTE` would read on to the next quote), and a lone CR inside an unquoted value of a file of LF lines (data to Spark; Python's
csv module would end the record there). Quote such values.

JSON sources are JSON lines, one record per line: a line break inside a string is written `\\n`
and lands as a line break; a raw line break inside a string breaks the line in two, and both
halves are quarantined with their text. A line that is not one JSON object (an array, even of
objects, `[]`, a number, a string), that is not JSON (single quotes: Spark's `allowSingleQuotes`
is off unless the source's `options` turn it on; an unescaped control character; a trailing
comma) or whose object names a key twice (also inside a nested object or an object in an array,
`orders[].sku` in the reason, and up to case, since Spark's and Delta's columns ignore case) is one
quarantined record with its text and the reason; the other lines land. (A batch holding such a line is parsed line by line, where a decimal number lands as a
double prints it: `1e3` as `1000.0`, 17 significant digits at most; other batches keep numbers as
written.) A line with text after its object (`{"id": "1"}{"id": "2"}`, `{"id": "1"}, {"id": "2"}`,
`{"id": "1"} junk`) is one quarantined record too: Spark read its first object and dropped the rest. In another encoding than UTF-8 (`options: {encoding: ...}`), or with
`multiLine: true` (one JSON document per file), Spark's JSON reader reads the files as it does,
without these checks. Long values (tested up to 3 MB in one field) land whole in both formats; note
that an unclosed quote early in a large CSV file makes one quarantine record of its whole rest."""


class SchemaDrift(Strict):
    """What landing does when a source's files stop looking like what bronze already holds."""

    new_columns: NewColumnPolicy = Field(
        default="evolve", description="a column bronze lacks: evolve (add it to bronze) or fail the source"
    )
    missing_columns: MissingColumnPolicy = Field(
        default="tolerate",
        description="an optional (not key, not required) column a file lacks: tolerate (land it "
        "as null) or fail the source; a missing required column always fails",
    )
    type_changes: TypeChangePolicy = Field(
        default="quarantine",
        description="a typed (Parquet) column whose type differs from bronze's: quarantine the "
        "file's rows with the reason, or fail the source",
    )


class ColumnMapping(Strict):
    """How one model attribute is read from a source row."""

    column: str | None = Field(default=None, description="the source column to take")
    expr: str | None = Field(default=None, description="a Spark SQL expression over source columns")
    format: str | None = Field(
        default=None, description="Spark datetime pattern for date and timestamp text, e.g. dd/MM/yyyy"
    )
    default: Any = Field(default=None, description="value used when the source gives none")

    @model_validator(mode="after")
    def _one_of_column_or_expr(self) -> ColumnMapping:
        if (self.column is None) == (self.expr is None):
            raise ValueError("give exactly one of 'column' or 'expr'")
        return self


class Target(Strict):
    """The profile or interaction type a source feeds."""

    profile: str | None = Field(default=None, description="the profile type this source feeds")
    interaction: str | None = Field(default=None, description="the interaction type this source feeds")

    @model_validator(mode="after")
    def _exactly_one(self) -> Target:
        if (self.profile is None) == (self.interaction is None):
            raise ValueError("give exactly one of 'profile' or 'interaction'")
        return self

    @property
    def name(self) -> str:
        """The silver type name this source writes to."""
        return self.profile or self.interaction  # type: ignore[return-value]

    @property
    def kind(self) -> Literal["profile", "interaction"]:
        return "profile" if self.profile else "interaction"


class SourceLink(Strict):
    """How an interaction row points at a participating profile record.

    Either by key (`source` + `key`: the referenced record's source and the column in this row
    that holds its source key) or, when the row carries only attributes, by `match`
    (profile attribute -> this source's column), resolved by identity resolution.
    """

    source: str | None = Field(default=None, description="the source whose records this row points at")
    key: str | list[str] | None = Field(
        default=None, description="this row's column(s) holding that source's key"
    )
    match: dict[str, str] | None = Field(
        default=None, description="profile attribute -> this row's column, for identity resolution"
    )

    @model_validator(mode="after")
    def _key_or_match(self) -> SourceLink:
        by_key = self.source is not None and self.key is not None
        if not by_key and not self.match:
            raise ValueError("give 'source' and 'key', or 'match', or both")
        if (self.source is None) != (self.key is None):
            raise ValueError("'source' and 'key' go together")
        return self

    @property
    def key_columns(self) -> list[str]:
        if self.key is None:
            return []
        return [self.key] if isinstance(self.key, str) else list(self.key)


class Source(Strict):
    """One source system extract, landed in bronze and conformed into one silver type."""

    description: str = Field(default="", description="what the source is, shown in the UI")
    location: str = Field(description="folder or file; relative paths resolve against data_root")
    format: SourceFormat = Field(description="csv, json (JSON lines) or parquet")
    options: dict[str, str | int | bool] = Field(
        default_factory=dict, description="passed to the Spark reader (delimiter, encoding, ...); for CSV "
        "over the defaults header: true, escape: '\"', multiLine: true (RFC 4180, see above); for JSON over "
        "primitivesAsString: true, allowSingleQuotes: false"
    )
    target: Target = Field(description="{profile: <type>} or {interaction: <type>}")
    key: list[str] = Field(description="source columns that identify a record in this source")
    required: list[str] = Field(
        default_factory=list, description="source columns that must be present and non-empty"
    )
    mapping: dict[str, str | ColumnMapping] = Field(
        description="model attribute -> source column, or {column | expr, format, default}"
    )
    links: dict[str, SourceLink] = Field(
        default_factory=dict, description="interactions: role -> how a row points at the profile"
    )
    priority: int = Field(default=100, description="lower wins when sources disagree")
    stale_after_hours: float = Field(
        default=36, gt=0, description="the freshness check of bronze/<source> warns when the "
        "source's last good landing is older than this (a daily source a day late)"
    )
    schema_drift: SchemaDrift = Field(
        default_factory=SchemaDrift,
        description="policy for new, missing and retyped columns (`evolve`/`fail` is short for "
        "{new_columns: ...})",
    )

    @field_validator("schema_drift", mode="before")
    @classmethod
    def _drift_shorthand(cls, value: Any) -> Any:
        return {"new_columns": value} if isinstance(value, str) else value

    @field_validator("key", mode="before")
    @classmethod
    def _key_as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("key")
    @classmethod
    def _key_not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("a source needs at least one key column")
        return value

    def column_mappings(self) -> dict[str, ColumnMapping]:
        """Every mapping in its long form."""
        return {
            attr: ColumnMapping(column=m) if isinstance(m, str) else m
            for attr, m in self.mapping.items()
        }

    def required_columns(self) -> list[str]:
        """Key columns and declared required columns, without repeats, in order."""
        return list(dict.fromkeys([*self.key, *self.required]))


class Sources(Strict):
    """The sources.yaml file."""

    sources: dict[str, Source] = Field(description="source name -> source")

    @field_validator("sources")
    @classmethod
    def _names_are_identifiers(cls, value: dict[str, Source]) -> dict[str, Source]:
        from schemas.model import _check_identifiers

        return _check_identifiers(value)
