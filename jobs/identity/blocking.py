"""Candidate pairs: the union of the rules' equi-joins, each pair once, within a declared cap.

Rule k keeps only the pairs no earlier rule produced (its join is filtered by the negation of
the earlier rules), so the union needs no distinct. Before any join, the pairs each rule would
produce are counted from its key frequencies, and a policy that would blow past
max_candidate_pairs fails with the rule and its biggest blocks instead of running out of memory.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from jobs.identity.errors import IdentityError
from jobs.identity.prepare import key_column
from schemas.match import MATCH_FILE, MatchPolicy, Rule
from schemas.tables import RECORD_ID, SOURCE

RULE = "rule"
LEFT, RIGHT = f"{RECORD_ID}_l", f"{RECORD_ID}_r"


def sides(records: DataFrame) -> tuple[DataFrame, DataFrame]:
    """The records twice, every column suffixed _l and _r."""
    left = records.select(*[F.col(c).alias(f"{c}_l") for c in records.columns])
    right = records.select(*[F.col(c).alias(f"{c}_r") for c in records.columns])
    return left, right


def rule_condition(rule: Rule) -> Column:
    """True where a pair agrees on every key of the rule (null when a key is missing)."""
    condition = None
    for key in rule.block_keys():
        equal = key_column(key, "l") == key_column(key, "r")
        condition = equal if condition is None else condition & equal
    return condition


def pair_filter(link_within_source: bool) -> Column:
    """Each unordered pair once; across sources only when the policy links only."""
    ordered = F.col(LEFT) < F.col(RIGHT)
    return ordered if link_within_source else ordered & (F.col(f"{SOURCE}_l") != F.col(f"{SOURCE}_r"))


def rule_pairs(records: DataFrame, rule: Rule, link_within_source: bool) -> DataFrame:
    """Every pair one rule produces (both sides' columns)."""
    left, right = sides(records)
    return left.join(right, rule_condition(rule) & pair_filter(link_within_source))


def candidate_pairs(
    records: DataFrame, rules: list[Rule], link_within_source: bool, other: DataFrame | None = None
) -> DataFrame:
    """The union of the rules' pairs, each once, with the name of the first rule that made it.

    With `other`, pairs join records (left) to other (right) instead of records to themselves.
    """
    left, right = sides(records)
    if other is not None:
        right = sides(other)[1]
    frames = []
    for i, rule in enumerate(rules):
        condition = rule_condition(rule)
        if other is None:
            condition = condition & pair_filter(link_within_source)
        pairs = left.join(right, condition)
        for earlier in rules[:i]:
            pairs = pairs.where(~F.coalesce(rule_condition(earlier), F.lit(False)))
        frames.append(pairs.withColumn(RULE, F.lit(rule.name)))
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union


def rule_pair_counts(records: DataFrame, rules: list[Rule], link_within_source: bool, top: int = 3) -> dict[str, tuple[int, list]]:
    """Per rule: how many pairs it would produce (before removing overlaps) and its biggest blocks.

    One aggregation for all rules: each record contributes one (rule, key) row per rule it can use.
    """
    keyed = None
    for rule in rules:
        parts = [key_column(k).cast("string") for k in rule.block_keys()]
        present = F.lit(True)
        for part in parts:
            present = present & part.isNotNull()
        frame = records.where(present).select(
            F.lit(rule.name).alias(RULE), F.concat_ws(" | ", *parts).alias("key"), F.col(SOURCE))
        keyed = frame if keyed is None else keyed.unionByName(frame)
    if link_within_source:
        blocks = keyed.groupBy(RULE, "key").agg(F.count(F.lit(1)).alias("n"))
        blocks = blocks.withColumn("pairs", F.col("n") * (F.col("n") - 1) / 2)
    else:
        per_source = keyed.groupBy(RULE, "key", SOURCE).agg(F.count(F.lit(1)).alias("ns"))
        blocks = per_source.groupBy(RULE, "key").agg(
            F.sum("ns").alias("n"), F.sum(F.col("ns") * F.col("ns")).alias("n2")
        ).withColumn("pairs", (F.col("n") * F.col("n") - F.col("n2")) / 2)
    biggest = Window.partitionBy(RULE).orderBy(F.col("pairs").desc())
    rows = (
        blocks.withColumn("total", F.sum("pairs").over(Window.partitionBy(RULE)))
        .withColumn("_rank", F.row_number().over(biggest))
        .where(F.col("_rank") <= top)
        .collect()
    )
    out: dict[str, tuple[int, list]] = {rule.name: (0, []) for rule in rules}
    for row in sorted(rows, key=lambda r: r["_rank"]):
        total, tops = out[row[RULE]]
        out[row[RULE]] = (int(row["total"] or 0), [*tops, (row["key"], int(row["n"]))])
    return out


def check_pair_budget(records: DataFrame, policy: MatchPolicy) -> dict[str, int]:
    """Pairs per rule; raises IdentityError naming the rules when their sum passes the cap."""
    found = rule_pair_counts(records, policy.rules(), policy.link_within_source)
    counts = {name: total for name, (total, _) in found.items()}
    tops = {name: blocks for name, (_, blocks) in found.items()}
    total = sum(counts.values())
    if total > policy.max_candidate_pairs:
        worst = sorted(counts, key=counts.get, reverse=True)
        lines = [f"  {name}: {counts[name]:,} pairs; biggest blocks {tops[name]}" for name in worst]
        raise IdentityError(
            f"{MATCH_FILE}: blocking would produce up to {total:,} candidate pairs, more than "
            f"max_candidate_pairs ({policy.max_candidate_pairs:,}):\n" + "\n".join(lines) +
            "\nMake the largest rule stricter (add a key, or a prefix/soundex key) or raise "
            "max_candidate_pairs if the machine can take it."
        )
    return counts
