"""The champion rule: the alias moves only to a version measured better on the same holdout.

The champion (the version the alias points at) is loaded and scored on the new version's
holdout, so both are judged on identical customers and labels. When it cannot be loaded or
scored, nothing was measured and the alias stays: a transient error (a lost executor, an
unreachable artifact store, a deleted or corrupted artifact) must never hand the alias to a
model nobody compared. The training does not fail: the new version is registered without the
alias, the reason is tagged on its run and version, logged as a warning and shown in the asset's
metadata, and gold/scores keeps scoring with the champion (or fails loudly if it cannot load it).

Two cases replace an unmeasured champion anyway, each with its reason recorded:
- redefined: the champion failed to score, and both fingerprints its version was registered
  with (ml/fingerprint.py: definition and features) differ from the new version's: someone
  changed what is predicted and from what, so the old champion legitimately cannot score the
  new feature table. A champion that cannot even be loaded is never "redefined".
- replace_unmeasured: predictions.yaml's `champion.replace_unmeasured` names the champion's
  version (a change the fingerprints cannot show, a champion without them, one lost for good).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from pyspark.sql import DataFrame

from ml.evaluation import SELECTION, better, selection_value
from ml.registry import champion_version, load, promote
from ml.training import scores
from schemas.predictions import ChampionRule, OutcomeKind
from schemas.redaction import redact_uri

log = logging.getLogger(__name__)

# Model version tags (the registry keeps them when a version's artifacts are lost) and run tags.
DECISION, BASIS, DEFINITION, FEATURES = ("champion_decision", "champion_basis", "definition_fingerprint",
                                         "features_fingerprint")
DECISION_TAG, BASIS_TAG = f"insights.{DECISION}", f"insights.{BASIS}"
ERROR_CHARS = 300  # of an error's first line, in a reason

Basis = Literal["first", "measured", "redefined", "replace_unmeasured", "kept_unmeasured"]
UNMEASURED: frozenset[str] = frozenset({"redefined", "replace_unmeasured", "kept_unmeasured"})


@dataclass(frozen=True)
class Fingerprints:
    """What a version predicts and from what (definition), and the columns it scores (features)."""

    definition: str
    features: str


@dataclass(frozen=True)
class Champion:
    """The champion as measured on the new holdout: its metric, or what failed and why."""

    version: int
    metric: float | None = None
    failure: Literal["load", "score"] | None = None
    error: str = ""
    fingerprints: Fingerprints | None = None  # None: registered before versions carried them

    @property
    def problem(self) -> str:
        what = "loaded" if self.failure == "load" else "scored on the new holdout"
        return f"champion v{self.version} cannot be {what} ({self.error})"


@dataclass(frozen=True)
class Decision:
    """Whether the alias moved, why, and on what basis (a measurement, or none)."""

    promoted: bool
    reason: str
    basis: Basis
    champion_version: int | None = None
    champion_metric: float | None = None

    @property
    def unmeasured(self) -> bool:
        """The champion was not measured: the alias stayed, or moved only by a rule."""
        return self.basis in UNMEASURED


@dataclass(frozen=True)
class Challenger:
    """A newly registered version, its run, its holdout metric and its fingerprints."""

    model_name: str
    version: int
    run_id: str
    metric: float
    fingerprints: Fingerprints


def describe(error: BaseException) -> str:
    """An error's type and first line, short and without secrets in URIs, for a reason or tag."""
    lines = _text(error).strip().splitlines()
    text = " ".join(redact_uri(w) if "://" in w else w for w in (lines[0] if lines else "").split(" "))
    return f"{type(error).__name__}: {text}"[:ERROR_CHARS]


def _text(error: BaseException) -> str:
    """Py4J's own message is 'An error occurred while calling o12.load': the Java exception says what."""
    java = getattr(error, "java_exception", None)
    try:
        return str(java) if java is not None else str(error)
    except Exception:  # noqa: BLE001 - the JVM may be the thing that failed
        return str(error)


def fingerprints_of(version: ModelVersion) -> Fingerprints | None:
    """The fingerprints a version was registered with, if it has both."""
    tags = version.tags or {}
    if tags.get(DEFINITION) and tags.get(FEATURES):
        return Fingerprints(tags[DEFINITION], tags[FEATURES])
    return None


def measure_champion(name: str, holdout: DataFrame, kind: OutcomeKind, dfs_tmpdir: str) -> Champion | None:
    """The champion's selection metric on this holdout, or why it has none; None before the first promotion."""
    version = champion_version(name)
    if version is None:
        return None
    number, known = int(version.version), fingerprints_of(version)
    try:  # the exact version, so the one measured is the one the alias points at
        model = load(f"models:/{name}/{number}", dfs_tmpdir)
    except Exception as error:  # noqa: BLE001 - any failure leaves it unmeasured, which never replaces it
        return _unmeasured(name, Champion(number, failure="load", error=describe(error), fingerprints=known))
    try:
        return Champion(number, selection_value(kind, scores(model, holdout, kind)), fingerprints=known)
    except Exception as error:  # noqa: BLE001 - as above
        return _unmeasured(name, Champion(number, failure="score", error=describe(error), fingerprints=known))


def _unmeasured(name: str, champion: Champion) -> Champion:
    log.warning("%s: %s", name, champion.problem)
    return champion


def redefined(old: Fingerprints | None, new: Fingerprints | None) -> bool:
    """Both the definition and the features changed since the champion was registered."""
    return (old is not None and new is not None and old.definition != new.definition
            and old.features != new.features)


def decide(new_metric: float, champion: Champion | None, is_better: Callable[[float, float], bool],
           new: Fingerprints | None = None, replace_unmeasured: int | None = None,
           setting: str = "champion.replace_unmeasured") -> Decision:
    """Promote when there is no champion or the new metric is strictly better; else only by the rules above."""
    if champion is None:
        return Decision(True, "no champion yet", "first")
    version = champion.version
    if champion.metric is not None:
        old = champion.metric
        if is_better(new_metric, old):
            return Decision(True, f"beats champion v{version} on the same holdout ({new_metric:.4f} vs "
                                  f"{old:.4f})", "measured", version, old)
        return Decision(False, f"does not beat champion v{version} on the same holdout ({new_metric:.4f} vs "
                               f"{old:.4f})", "measured", version, old)
    if champion.failure == "score" and redefined(champion.fingerprints, new):
        was = champion.fingerprints
        return Decision(True, f"{champion.problem}; the prediction was redefined since (definition "
                              f"{was.definition} -> {new.definition}, features {was.features} -> {new.features}): "
                              "replaced", "redefined", version)
    if replace_unmeasured == version:
        return Decision(True, f"{champion.problem}: replaced, as {setting}: {version} asks", "replace_unmeasured",
                        version)
    return Decision(False, f"{champion.problem}: kept, since no version replaces a champion it was not "
                           f"measured against (to replace it on purpose: {setting}: {version})",
                    "kept_unmeasured", version)


def settle(challenger: Challenger, champion: Champion | None, kind: OutcomeKind, rule: ChampionRule,
           setting: str = "champion.replace_unmeasured") -> Decision:
    """Decide, move the alias if so, and record the decision and fingerprints on the version and its run."""
    decision = decide(challenger.metric, champion, lambda new, old: better(kind, new, old),
                      challenger.fingerprints, rule.replace_unmeasured, setting)
    if decision.promoted:
        promote(challenger.model_name, challenger.version)
    client = MlflowClient()
    tags = {DECISION: decision.reason, BASIS: decision.basis, DEFINITION: challenger.fingerprints.definition,
            FEATURES: challenger.fingerprints.features}
    for key, value in tags.items():
        client.set_model_version_tag(challenger.model_name, str(challenger.version), key, value)
        client.set_tag(challenger.run_id, f"insights.{key}", value)
    if decision.champion_metric is not None:
        client.log_metric(challenger.run_id, f"champion_{SELECTION[kind][0]}", decision.champion_metric)
    report = log.warning if decision.unmeasured else log.info
    report("%s v%s: %s", challenger.model_name, challenger.version, decision.reason)
    return decision
