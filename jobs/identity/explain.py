"""Why two records are, or are not, the same person: each comparison in words and bits.

Reads the scored pair from gold/identity_pairs; a pair no rule ever put together is scored on
the spot with the stored model, so the answer also says what the model would have thought.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import functions as F

from jobs.identity.blocking import LEFT, RIGHT, RULE, sides
from jobs.identity.compare import gamma_column
from jobs.identity.context import IdentityContext
from jobs.identity.errors import IdentityError
from jobs.identity.identity_model import stored_model
from jobs.identity.identity_pairs import OVERRIDE
from jobs.identity.score import DETERMINISTIC, LINKED, MATCH_PROBABILITY, MATCH_WEIGHT, score_pairs, weight_column
from schemas.catalog import CUSTOMER_IDS, IDENTITY_CLUSTERS, IDENTITY_PAIRS
from schemas.tables import CUSTOMER_ID, RECORD_ID


@dataclass
class ComparisonLine:
    """One comparison of the pair."""

    attribute: str
    left: object
    right: object
    level: str
    m: float | None
    u: float | None
    weight: float


@dataclass
class Explanation:
    """Everything `insights match explain` prints."""

    record_a: str
    record_b: str
    prior_weight: float
    prior: float
    lines: list[ComparisonLine] = field(default_factory=list)
    match_weight: float = 0.0
    probability: float = 0.0
    threshold: float = 0.0
    compared: bool = True
    rule: str | None = None
    deterministic: bool = False
    linked: bool = False
    override: str | None = None
    customer_a: str | None = None
    customer_b: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def same_customer(self) -> bool:
        return self.customer_a is not None and self.customer_a == self.customer_b

    def render(self) -> str:
        out = [f"Records: {self.record_a}  vs  {self.record_b}"]
        if self.customer_a or self.customer_b:
            verdict = (f"the same person (customer {self.customer_a})" if self.same_customer
                       else f"different people (customers {self.customer_a} and {self.customer_b})")
            out.append(f"Verdict: {verdict}")
        if not self.compared:
            out.append("This pair was never compared: no blocking or deterministic rule puts the two records "
                       "together. Had they been compared, the model would say:")
        elif self.deterministic:
            out.append(f"Found by deterministic rule '{self.rule}': linked outright, whatever the weights say.")
        else:
            out.append(f"Found by blocking rule '{self.rule}' and scored by the model:")
        out.append(f"  {'starting point':<14} {'1 in ' + format(round(1 / self.prior), ',') + ' pairs match':<44} "
                   f"{self.prior_weight:+7.2f} bits")
        for line in self.lines:
            values = f"{_show(line.left)} vs {_show(line.right)}"
            if line.level == "null":
                reason = "missing on one side: no evidence"
            else:
                ratio = 2 ** line.weight
                times = f"{ratio:,.1f}x more likely" if ratio >= 1 else f"{1 / ratio:,.1f}x less likely"
                reason = f"{line.level}: {_strength(line.weight)} ({times} if the same person)"
            out.append(f"  {line.attribute:<14} {values:<44} {line.weight:+7.2f} bits  {reason}")
        out.append(f"  {'total':<14} {'':<44} {self.match_weight:+7.2f} bits  -> match probability "
                   f"{self.probability:.6f} (threshold {self.threshold})")
        decision = "linked" if self.linked else "not linked"
        why = ("deterministic rule" if self.deterministic else
               f"probability {'>=' if self.probability >= self.threshold else '<'} threshold")
        if self.override:
            why = f"override {self.override}"
        out.append(f"Decision on this pair: {decision} ({why}).")
        out += self.notes
        return "\n".join(out)


def _show(value: object) -> str:
    if value is None:
        return "(missing)"
    text = str(value)
    return f"'{text[:18]}…'" if len(text) > 19 else f"'{text}'"


def _strength(weight: float) -> str:
    if weight >= 5:
        return "strong evidence for"
    if weight > 0.5:
        return "evidence for"
    if weight <= -5:
        return "strong evidence against"
    if weight < -0.5:
        return "evidence against"
    return "little evidence either way"


def explain(ctx: IdentityContext, record_a: str, record_b: str) -> Explanation:
    """The explanation of one pair (in either order)."""
    policy = ctx.policy
    stored = stored_model(ctx)
    if stored is None:
        raise IdentityError("no trained match model in the lake yet: run the identity assets first")
    model = stored.model
    a, b = sorted([record_a, record_b])
    records = ctx.records.where(F.col(RECORD_ID).isin(a, b))
    found = {r[RECORD_ID] for r in records.select(RECORD_ID).collect()}
    missing = [r for r in (a, b) if r not in found]
    if missing:
        raise IdentityError(f"unknown record_id {missing} in silver/{ctx.profile} (record ids look like "
                            "'<source>:<key>')")
    pairs = ctx.read(IDENTITY_PAIRS)
    row = None if pairs is None else pairs.where((F.col(LEFT) == a) & (F.col(RIGHT) == b)).first()
    left, right = sides(records)
    joined = left.crossJoin(right).where(F.col(LEFT) < F.col(RIGHT))
    values = joined.first()
    compared = row is not None
    if row is None:
        scored = score_pairs(joined.withColumn(RULE, F.lit(None).cast("string")), model, policy).first()
        row = scored.asDict() | {OVERRIDE: None}
    else:
        row = row.asDict()
    result = Explanation(a, b, model.prior_weight, model.prior, threshold=policy.threshold, compared=compared,
                         rule=row.get(RULE), deterministic=bool(row.get(DETERMINISTIC)) and compared,
                         linked=bool(row.get(LINKED)) and compared, override=row.get(OVERRIDE),
                         match_weight=row[MATCH_WEIGHT], probability=row[MATCH_PROBABILITY])
    for comparison in model.comparisons:
        attr = comparison.attribute
        level = comparison.level(int(row[gamma_column(attr)]))
        result.lines.append(ComparisonLine(attr, values[f"{attr}_l"], values[f"{attr}_r"], level.label,
                                           level.m, level.u, float(row[weight_column(attr)])))
    id_map = ctx.read(CUSTOMER_IDS)
    if id_map is not None:
        ids = {r[RECORD_ID]: r[CUSTOMER_ID] for r in id_map.where(F.col(RECORD_ID).isin(a, b)).collect()}
        result.customer_a, result.customer_b = ids.get(a), ids.get(b)
    clusters = ctx.read(IDENTITY_CLUSTERS)
    if clusters is not None:
        for r in clusters.where(F.col(RECORD_ID).isin(a, b) & F.col("note").isNotNull()).collect():
            result.notes.append(f"Note on {r[RECORD_ID]}: {r['note'].replace('_', ' ')}.")
    if not compared and not policy.link_within_source and values["source_l"] == values["source_r"]:
        result.notes.append("Both records come from one source and link_within_source is false: "
                            "such pairs are never compared.")
    if result.same_customer and not result.linked:
        result.notes.append("They share a customer through other records linked to both (clusters are "
                            "connected components of the linked pairs).")
    if not result.same_customer and result.linked and result.customer_a:
        result.notes.append("The pair links, but a cannot-link override or the giant-cluster guard kept the "
                            "records apart.")
    return result
