"""The identity-resolution policy (match.yaml): how records of the primary profile become people.

Order of precedence on every run: overrides (must/cannot link) win over deterministic rules,
which win over the probabilistic (Fellegi-Sunter) model. Every field is documented because
docs/workspace.md is generated from this file.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from schemas.errors import Problem
from schemas.model import Strict
from schemas.workspace_core import WorkspaceCore

NormaliseStep = Literal[
    "lower",
    "upper",
    "trim",
    "collapse_spaces",
    "strip_accents",
    "letters_only",
    "digits_only",
    "alnum_only",
    "no_spaces",
    "email_canonical",
    "first_token",
]
KeyTransform = Literal["value", "prefix", "soundex", "year", "first_token"]
LevelMethod = Literal["exact", "jaro_winkler", "levenshtein", "date_diff", "date_parts", "numeric_diff"]
MergeRule = Literal["source_priority", "most_recent", "most_complete"]
MATCH_FILE = "match.yaml"


class BlockKey(Strict):
    """One key of a blocking or deterministic rule: an attribute, optionally transformed."""

    attribute: str = Field(description="the profile attribute (after match normalisation)")
    transform: KeyTransform = Field(
        default="value",
        description="value (as is), prefix (first `length` characters), soundex, year (of a date), "
        "first_token (text before the first space)",
    )
    length: int = Field(default=3, ge=1, description="characters kept by the prefix transform")


class Rule(Strict):
    """Pairs of records whose keys are all present and equal on both sides."""

    name: str = Field(description="the rule's name, shown in explanations and metadata")
    keys: list[str | BlockKey] = Field(
        min_length=1, description="keys that must be equal: attribute names or {attribute, transform, length}"
    )

    def block_keys(self) -> list[BlockKey]:
        """Every key in its long form."""
        return [BlockKey(attribute=k) if isinstance(k, str) else k for k in self.keys]


class Level(Strict):
    """One level of a comparison; the first level whose test holds is the pair's level."""

    method: LevelMethod = Field(
        description="exact; jaro_winkler (similarity >= threshold); levenshtein (edits <= threshold); "
        "date_diff (days apart <= threshold); date_parts (at least threshold of year, month and day equal, "
        "a day-month swap in the same year counting as two); numeric_diff (absolute difference <= threshold)"
    )
    threshold: float | None = Field(
        default=None, description="the level's bound (required for every method but exact)"
    )
    term_frequency: bool = Field(
        default=False,
        description="exact only: adjust the weight by how common the value is (rare values count more)",
    )

    @model_validator(mode="after")
    def _threshold_needed(self) -> Level:
        if self.method != "exact" and self.threshold is None:
            raise ValueError(f"method '{self.method}' needs a threshold")
        if self.method == "exact" and self.threshold is not None:
            raise ValueError("method 'exact' takes no threshold")
        if self.term_frequency and self.method != "exact":
            raise ValueError("term_frequency applies to the exact level only")
        if self.method == "date_parts" and self.threshold not in (1, 2, 3):
            raise ValueError("method 'date_parts' counts equal parts of a date: threshold 1, 2 or 3")
        return self

    @property
    def label(self) -> str:
        """A short readable name of the level (e.g. 'jaro_winkler >= 0.9')."""
        if self.method == "exact":
            return "exact"
        sign = ">=" if self.method in ("jaro_winkler", "date_parts") else "<="
        return f"{self.method} {sign} {self.threshold:g}"


class Comparison(Strict):
    """How one attribute of two records is compared, from the most to the least similar level."""

    attribute: str = Field(description="the profile attribute compared")
    levels: list[Level] = Field(
        min_length=1, description="ordered levels; pairs matching none fall into 'else'"
    )
    nulls: Literal["neutral", "disagree"] = Field(
        default="neutral",
        description="a missing value on either side: neutral (no evidence either way) or counts as 'else'",
    )


class Training(Strict):
    """Unsupervised estimation of the model: u by random sampling, m by expectation maximisation."""

    u_sample_pairs: int = Field(
        default=1_000_000, ge=1_000, description="random record pairs sampled to estimate u"
    )
    em_rules: list[str] | None = Field(
        default=None,
        description="blocking rules whose pairs train m (one EM session each; default: every blocking rule)",
    )
    em_max_iterations: int = Field(default=25, ge=1, description="EM iterations per session at most")
    em_tolerance: float = Field(
        default=1e-4, gt=0, description="EM stops when no parameter moves more than this"
    )
    prior: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="the probability that two random records match; default: estimated as prior_from says",
    )
    prior_from: Literal["em", "deterministic_rules"] = Field(
        default="em",
        description="em: from the EM sessions (each rule's share of matching pairs over the share of all "
        "matches its exact keys keep; needs an em_rule on plain keys, falls back to the rules); "
        "deterministic_rules: the deterministic rules' pairs over deterministic_recall",
    )
    deterministic_recall: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="the share of true matches the deterministic rules are assumed to catch (the "
        "deterministic_rules prior, and the check of the em one: a warning when they differ over 2x)",
    )
    seed: int = Field(default=42, description="seed of the random sampling, for reproducible runs")
    retrain: bool = Field(
        default=False,
        description="train on every run; false reuses the stored parameters while the policy is unchanged",
    )


class Clustering(Strict):
    """How linked pairs become people."""

    max_cluster_size: int = Field(
        default=50,
        ge=2,
        description="larger clusters are reported and not merged: they keep only deterministic and "
        "must-link edges, and fall apart into single records if still too large",
    )
    max_iterations: int = Field(
        default=30, ge=1, description="connected-components rounds at most (each a Spark job)"
    )


class Overrides(Strict):
    """Pairs a person has decided on; they win over the model and rules on every run."""

    must_link: list[tuple[str, str]] = Field(
        default_factory=list, description="[record_id, record_id] pairs that are the same person"
    )
    cannot_link: list[tuple[str, str]] = Field(
        default_factory=list,
        description="[record_id, record_id] pairs that are different people: their cluster is cut "
        "along the weakest links between them",
    )
    file: str | None = Field(
        default=None,
        description="optional CSV (relative to the workspace) with columns record_a, record_b, "
        "decision (must_link or cannot_link), added to the lists above",
    )


class MergePolicy(Strict):
    """How the golden record picks each attribute's value among a customer's records."""

    default: MergeRule = Field(
        default="source_priority",
        description="source_priority (lowest source priority wins), most_recent, most_complete "
        "(the record with the most values)",
    )
    attributes: dict[str, MergeRule] = Field(
        default_factory=dict, description="attribute -> rule, where it differs from the default"
    )
    recency: str = Field(
        default="_updated_at",
        description="the column that says how recent a record is (a timestamp attribute or _updated_at)",
    )
    include: list[str] | None = Field(
        default=None, description="attributes of the golden record (default: every profile attribute)"
    )


class InteractionMatching(Strict):
    """Interactions that carry only attributes (an email, a phone) are matched to customers."""

    enabled: bool = Field(default=True, description="match attribute-only interactions at all")
    threshold: float = Field(
        default=0.9,
        gt=0,
        lt=1,
        description="match probability above which an interaction joins the best-scoring customer",
    )


class Quality(Strict):
    """Accuracy against ground truth, when there is some."""

    labels: str | None = Field(
        default=None,
        description="CSV with record_id and a true entity column (relative to the workspace); default: "
        "the generator's <data_root>/_truth/records.csv when present",
    )
    entity_column: str = Field(default="person_id", description="the labels' true entity column")
    min_pairwise_f1: float = Field(
        default=0.9, ge=0, le=1, description="the quality check fails below this pairwise F1"
    )


class MatchPolicy(Strict):
    """The match.yaml file: normalisation, rules, comparisons, threshold, clustering, overrides."""

    profile: str | None = Field(
        default=None, description="the profile type to resolve (default: the primary profile)"
    )
    id_prefix: str = Field(default="C", description="prefix of every customer_id")
    link_within_source: bool = Field(
        default=True,
        description="compare records of the same source (dedupe and link); false links across sources only",
    )
    normalize: dict[str, list[NormaliseStep]] = Field(
        default_factory=dict,
        description="attribute -> extra normalisation steps for matching (silver is already normalised)",
    )
    deterministic: list[Rule] = Field(
        default_factory=list, description="rules that link a pair outright (e.g. same email)"
    )
    blocking: list[Rule] = Field(
        min_length=1, description="rules that choose which pairs the model scores (their union)"
    )
    comparisons: list[Comparison] = Field(min_length=1, description="the model's comparisons")
    threshold: float = Field(
        default=0.9, gt=0, lt=1, description="match probability at or above which a pair links"
    )
    max_candidate_pairs: int = Field(
        default=50_000_000,
        ge=1,
        description="refuse to run (with the rule at fault) when blocking would produce more pairs",
    )
    training: Training = Field(default_factory=Training, description="how the model is estimated")
    clustering: Clustering = Field(default_factory=Clustering, description="pairs -> people")
    overrides: Overrides = Field(default_factory=Overrides, description="manual decisions")
    merge: MergePolicy = Field(default_factory=MergePolicy, description="the golden record")
    interactions: InteractionMatching = Field(
        default_factory=InteractionMatching, description="matching attribute-only interactions"
    )
    quality: Quality = Field(default_factory=Quality, description="accuracy against ground truth")

    @model_validator(mode="after")
    def _consistent(self) -> MatchPolicy:
        names = [r.name for r in [*self.deterministic, *self.blocking]]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"rule names must be unique across deterministic and blocking: {repeated}")
        compared = [c.attribute for c in self.comparisons]
        if len(set(compared)) != len(compared):
            raise ValueError("each attribute may have one comparison")
        both = {frozenset(p) for p in self.overrides.must_link} & {
            frozenset(p) for p in self.overrides.cannot_link
        }
        if both:
            raise ValueError(f"pairs both must_link and cannot_link: {[sorted(p) for p in both]}")
        return self

    def rules(self) -> list[Rule]:
        """Deterministic rules first, then blocking rules: the order pairs are generated in."""
        return [*self.deterministic, *self.blocking]

    def attributes(self) -> list[str]:
        """Every profile attribute the policy reads."""
        used = [c.attribute for c in self.comparisons]
        used += [k.attribute for r in self.rules() for k in r.block_keys()]
        used += list(self.normalize)
        return list(dict.fromkeys(used))


def check_match(policy: MatchPolicy, workspace: WorkspaceCore) -> list[Problem]:
    """Cross-checks against the model: the profile exists and every attribute named is one of it."""
    model = workspace.model
    profile = policy.profile or model.primary_profile
    if profile is None or profile not in model.profiles:
        return [Problem(MATCH_FILE, "profile", f"unknown profile type '{profile}' (known: "
                        f"{sorted(model.profiles)}; or mark one primary in model.yaml)")]
    attributes = model.profiles[profile].attributes
    problems = []

    def need(attr: str, key: str) -> None:
        if attr not in attributes:
            problems.append(Problem(MATCH_FILE, key, f"'{profile}' has no attribute '{attr}' "
                                    f"(known: {sorted(attributes)})"))

    for attr in policy.normalize:
        need(attr, f"normalize.{attr}")
    for group, rules in (("deterministic", policy.deterministic), ("blocking", policy.blocking)):
        for i, rule in enumerate(rules):
            for j, key in enumerate(rule.block_keys()):
                need(key.attribute, f"{group}.{i}.keys.{j}")
                kind = attributes.get(key.attribute)
                if kind is not None and key.transform == "year" and kind.type not in ("date", "timestamp"):
                    problems.append(Problem(MATCH_FILE, f"{group}.{i}.keys.{j}.transform",
                                            f"'year' needs a date, '{key.attribute}' is {kind.type}"))
    for i, comparison in enumerate(policy.comparisons):
        need(comparison.attribute, f"comparisons.{i}.attribute")
        kind = attributes.get(comparison.attribute)
        for j, level in enumerate(comparison.levels):
            if kind is None:
                break
            if level.method in ("date_diff", "date_parts") and kind.type not in ("date", "timestamp"):
                problems.append(Problem(MATCH_FILE, f"comparisons.{i}.levels.{j}.method",
                                        f"{level.method} needs a date, '{comparison.attribute}' is {kind.type}"))
            if level.method == "numeric_diff" and kind.type not in ("long", "double", "decimal"):
                problems.append(Problem(MATCH_FILE, f"comparisons.{i}.levels.{j}.method",
                                        f"numeric_diff needs a number, '{comparison.attribute}' is {kind.type}"))
    known_rules = [r.name for r in policy.blocking]
    for i, name in enumerate(policy.training.em_rules or []):
        if name not in known_rules:
            problems.append(Problem(MATCH_FILE, f"training.em_rules.{i}",
                                    f"unknown blocking rule '{name}' (known: {known_rules})"))
    for attr, _ in policy.merge.attributes.items():
        need(attr, f"merge.attributes.{attr}")
    for attr in policy.merge.include or []:
        need(attr, "merge.include")
    recency = policy.merge.recency
    if recency != "_updated_at":
        kind = attributes.get(recency)
        if kind is None or kind.type not in ("date", "timestamp"):
            problems.append(Problem(MATCH_FILE, "merge.recency",
                                    f"'{recency}' must be _updated_at or a date/timestamp attribute of '{profile}'"))
    if policy.overrides.file and not (workspace.root / policy.overrides.file).exists():
        problems.append(Problem(MATCH_FILE, "overrides.file",
                                f"file not found: {workspace.root / policy.overrides.file}"))
    return problems


def match_profile(policy: MatchPolicy, workspace: WorkspaceCore) -> str:
    """The profile type the policy resolves."""
    return policy.profile or workspace.model.primary_profile
