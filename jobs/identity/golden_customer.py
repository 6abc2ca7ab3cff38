"""gold/golden_customer: one row per customer_id, each attribute picked by the merge policy.

For each attribute the records of a customer are ranked by the attribute's rule and the best
record with a value wins; <attr>_source says which record (and so which source) it came from.
One groupBy with max_by does every attribute at once. Skipped when the ID map, silver and the
merge policy are as the last build found them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.built_from import built_from
from jobs.identity.context import IdentityContext, StepResult
from jobs.writes import overwrite
from schemas.catalog import CUSTOMER_IDS, GOLDEN_CUSTOMER
from schemas.match import MergePolicy, MergeRule
from schemas.tables import CUSTOMER_ID, RECORD_ID, SOURCE

_PRIORITY, _COMPLETENESS, _RECENCY = "_priority", "_completeness", "_recency"


@dataclass(frozen=True, kw_only=True)
class GoldenCustomerResult(StepResult):
    """Customers in the golden record."""

    customers: int


def _rank(rule: MergeRule) -> list[Column]:
    """What makes a record better for a rule, most important first (larger wins)."""
    priority = -F.col(_PRIORITY)
    recency = F.coalesce(F.col(_RECENCY).cast("long"), F.lit(-(2**62)))
    completeness = F.col(_COMPLETENESS)
    if rule == "most_recent":
        return [recency, priority, completeness]
    if rule == "most_complete":
        return [completeness, priority, recency]
    return [priority, recency, completeness]


def golden_records(
    profiles: DataFrame,
    id_map: DataFrame,
    priorities: dict[str, int],
    attributes: list[str],
    policy: MergePolicy,
) -> DataFrame:
    """customer_id, record_count, sources, then <attr> and <attr>_source for every attribute."""
    priority = F.create_map(*[F.lit(x) for kv in priorities.items() for x in kv])
    completeness = sum((F.col(a).isNotNull().cast("int") for a in attributes), F.lit(0))
    records = (
        profiles.join(id_map.select(RECORD_ID, CUSTOMER_ID), RECORD_ID)
        .withColumn(_PRIORITY, F.coalesce(F.element_at(priority, F.col(SOURCE)), F.lit(1_000_000)))
        .withColumn(_COMPLETENESS, completeness)
        .withColumn(_RECENCY, F.col(policy.recency))
    )
    aggregates = [
        F.count(F.lit(1)).alias("record_count"),
        F.sort_array(F.collect_set(SOURCE)).alias("sources"),
        F.max(_RECENCY).alias("last_updated"),
    ]
    for attr in attributes:
        rule = policy.attributes.get(attr, policy.default)
        order = F.struct(F.col(attr).isNotNull(), *_rank(rule), F.col(RECORD_ID))
        best = F.max_by(F.struct(F.col(attr).alias("v"), F.col(RECORD_ID).alias("r")), order)
        aggregates.append(best.alias(f"__{attr}"))
    merged = records.groupBy(CUSTOMER_ID).agg(*aggregates)
    columns = [F.col(CUSTOMER_ID), "record_count", "sources", "last_updated"]
    for attr in attributes:
        columns.append(F.col(f"__{attr}.v").alias(attr))
        columns.append(F.when(F.col(f"__{attr}.v").isNotNull(), F.col(f"__{attr}.r")).alias(f"{attr}_source"))
    return merged.select(*columns)


def build_golden_customer(ctx: IdentityContext) -> GoldenCustomerResult:
    """Overwrite gold/golden_customer from silver and the ID map with the merge policy."""
    merge = ctx.policy.merge
    priorities = {name: s.priority for name, s in ctx.workspace.sources_for(ctx.profile).items()}
    built = built_from(ctx.spark, ctx.lake, [ctx.path(CUSTOMER_IDS), ctx.silver_path],
                       merge=merge.model_dump(), priorities=priorities)
    done = GoldenCustomerResult.previous(ctx, GOLDEN_CUSTOMER, built)
    if done is not None:
        return done
    attributes = merge.include or list(ctx.workspace.model.profiles[ctx.profile].attributes)
    golden = golden_records(ctx.profiles(), ctx.read(CUSTOMER_IDS), priorities, attributes, merge)
    golden = golden.localCheckpoint(eager=True)
    result = GoldenCustomerResult(customers=golden.count())
    overwrite(golden, ctx.path(GOLDEN_CUSTOMER), built=result.record(built))
    return result
