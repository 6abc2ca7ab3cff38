"""Spark SQL expressions in workspace files (KPIs, segment events), parsed without Spark.

sqlglot reads the Spark dialect, so a misspelt attribute or a missing aggregate is reported
with its file and key before Spark starts, and the KPI engine can rewrite the same tree
(window filters, as_of) and print it for Spark or DuckDB.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

DIALECT = "spark"
AS_OF_NAME = "as_of"  # the as-of time of a run, usable in every KPI expression

# Spark aggregate functions sqlglot parses as plain (anonymous) calls: still aggregates.
EXTRA_AGGREGATES = frozenset({
    "bool_and", "bool_or", "every", "some", "any", "try_sum", "try_avg", "mode", "kurtosis",
    "skewness", "regr_count", "regr_avgx", "regr_avgy", "regr_slope", "regr_intercept",
    "regr_r2", "histogram_numeric", "count_min_sketch", "bit_and", "bit_or", "bit_xor",
})


class ExpressionError(ValueError):
    """A workspace expression that cannot be used; the message says why."""


def parse(text: str) -> exp.Expression:
    """The syntax tree of one Spark SQL expression, or ExpressionError saying what is wrong."""
    try:
        tree = sqlglot.parse_one(text, read=DIALECT)
    except ParseError as error:
        raise ExpressionError(f"not a valid Spark SQL expression: {text!r} ({error.errors[0]['description']})") from None
    if tree is None or isinstance(tree, exp.Select | exp.Query):
        raise ExpressionError(f"expected one expression, not a query: {text!r}")
    return tree


def is_aggregate(node: exp.Expression) -> bool:
    """Whether a node is a call of an aggregate function (sum, count, max_by, ...)."""
    if isinstance(node, exp.AggFunc):
        return True
    return isinstance(node, exp.Anonymous) and node.name.lower() in EXTRA_AGGREGATES


def aggregates(tree: exp.Expression) -> list[exp.Expression]:
    """Every aggregate call in the tree, outermost first."""
    return [node for node in tree.walk() if is_aggregate(node)]


def column_names(tree: exp.Expression) -> set[str]:
    """Names of the columns an expression reads (lower case, unqualified)."""
    return {column.name.lower() for column in tree.find_all(exp.Column) if column.name}


def columns_outside_aggregates(tree: exp.Expression) -> set[str]:
    """Columns read outside any aggregate call: not allowed in an aggregate KPI (but as_of)."""
    outside = set()
    for column in tree.find_all(exp.Column):
        parent, inside = column.parent, False
        while parent is not None:
            if is_aggregate(parent):
                inside = True
                break
            parent = parent.parent
        if not inside:
            outside.add(column.name.lower())
    return outside - {AS_OF_NAME}


def nested_aggregates(tree: exp.Expression) -> bool:
    """Whether an aggregate call contains another (sum(max(x)) is not a KPI)."""
    return any(len(aggregates(node)) > 1 for node in aggregates(tree))
