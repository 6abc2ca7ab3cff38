"""Comparison levels as Column expressions: each pair gets one level (gamma) per comparison.

gamma = -1 when a value is missing (and nulls are neutral), 0 for 'else', and the listed levels
count down from len(levels) (the first, most similar level) to 1. Jaro-Winkler, which Spark does
not have, is rapidfuzz in a vectorised pandas UDF; Levenshtein is Spark's own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from schemas.match import Comparison, Level

NULL_GAMMA, ELSE_GAMMA = -1, 0


def gamma_column(attribute: str) -> str:
    return f"gamma_{attribute}"


@F.pandas_udf(T.DoubleType())
def jaro_winkler(left: pd.Series, right: pd.Series) -> pd.Series:
    """Jaro-Winkler similarity (0..1) of two text columns; NaN where either side is missing."""
    from rapidfuzz.distance import JaroWinkler
    from rapidfuzz.process import cpdist

    out = np.full(len(left), np.nan)
    present = (left.notna() & right.notna()).to_numpy()
    if present.any():
        out[present] = cpdist(
            left[present].astype(str).tolist(),
            right[present].astype(str).tolist(),
            scorer=JaroWinkler.normalized_similarity,
            workers=1,
        )
    return pd.Series(out)


def level_test(level: Level, left: Column, right: Column, similarity: Column | None) -> Column:
    """True where the pair's values reach this level."""
    if level.method == "exact":
        return left == right
    if level.method == "jaro_winkler":
        return similarity >= level.threshold
    if level.method == "levenshtein":
        return F.levenshtein(left.cast("string"), right.cast("string")) <= int(level.threshold)
    if level.method == "date_diff":
        return F.abs(F.datediff(left, right)) <= level.threshold
    if level.method == "date_parts":
        return date_parts_agreeing(left, right) >= level.threshold
    return F.abs(left.cast("double") - right.cast("double")) <= level.threshold


def date_parts_agreeing(left: Column, right: Column) -> Column:
    """How many of year, month and day two dates share, so that one mistyped part stays near agreement.

    A day-month swap (3/4 written as 4/3) in the same year counts as two parts, like one changed part.
    """
    same = [(part(left) == part(right)).cast("int") for part in (F.year, F.month, F.dayofmonth)]
    swapped = (F.year(left) == F.year(right)) & (F.month(left) == F.dayofmonth(right)) \
        & (F.dayofmonth(left) == F.month(right))
    return F.greatest(same[0] + same[1] + same[2], F.when(swapped, F.lit(2)).otherwise(F.lit(0)))


def level_gammas(comparison: Comparison) -> list[tuple[int, str]]:
    """(gamma, label) of every level, most similar first, then 'else' and 'null'."""
    n = len(comparison.levels)
    listed = [(n - i, level.label) for i, level in enumerate(comparison.levels)]
    return [*listed, (ELSE_GAMMA, "else"), (NULL_GAMMA, "null")]


def gamma_expression(comparison: Comparison, left: Column, right: Column, similarity: Column | None) -> Column:
    """The level of each pair for one comparison."""
    n = len(comparison.levels)
    missing = left.isNull() | right.isNull()
    expr = F.when(missing, F.lit(NULL_GAMMA if comparison.nulls == "neutral" else ELSE_GAMMA))
    for i, level in enumerate(comparison.levels):
        expr = expr.when(level_test(level, left, right, similarity), F.lit(n - i))
    return expr.otherwise(F.lit(ELSE_GAMMA)).cast("int")


def with_gammas(pairs: DataFrame, comparisons: list[Comparison]) -> DataFrame:
    """Pairs (columns <attr>_l and <attr>_r) with one gamma_<attr> column per comparison."""
    similarities = {}
    for comparison in comparisons:
        if any(level.method == "jaro_winkler" for level in comparison.levels):
            name = f"__jw_{comparison.attribute}"
            a = comparison.attribute
            pairs = pairs.withColumn(name, jaro_winkler(F.col(f"{a}_l").cast("string"), F.col(f"{a}_r").cast("string")))
            similarities[a] = F.col(name)
    gammas = [
        gamma_expression(c, F.col(f"{c.attribute}_l"), F.col(f"{c.attribute}_r"), similarities.get(c.attribute))
        .alias(gamma_column(c.attribute))
        for c in comparisons
    ]
    return pairs.select("*", *gammas).drop(*[f"__jw_{a}" for a in similarities])
