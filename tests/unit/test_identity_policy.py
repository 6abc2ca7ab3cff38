"""match.yaml validation, EM on simulated patterns and the quality metrics (no Spark)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from jobs.identity.em import run_em
from jobs.identity.model import initial_model
from jobs.identity.quality import cluster_quality_pandas
from schemas.errors import WorkspaceError
from schemas.match import MatchPolicy
from schemas.loader import load_workspace

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def retail(tmp_path):
    for file in (ROOT / "examples" / "retail").glob("*.yaml"):
        shutil.copy(file, tmp_path)
    return tmp_path


def _edit(folder: Path, change) -> None:
    path = folder / "match.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def test_bundled_policies_load():
    for name in ("examples/retail", "examples/febrl/febrl4", "examples/febrl/febrl1"):
        policy = load_workspace(ROOT / name).match
        assert isinstance(policy, MatchPolicy) and policy.comparisons, name


def test_unknown_attribute_is_named_with_file_and_key(retail):
    _edit(retail, lambda d: d["comparisons"][0].update(attribute="frist_name"))
    with pytest.raises(WorkspaceError) as err:
        load_workspace(retail)
    assert "match.yaml: comparisons.0.attribute: 'customer' has no attribute 'frist_name'" in str(err.value)


def test_unknown_blocking_key_is_named(retail):
    _edit(retail, lambda d: d["blocking"][0].update(keys=["phon"]))
    with pytest.raises(WorkspaceError) as err:
        load_workspace(retail)
    assert "match.yaml: blocking.0.keys.0: 'customer' has no attribute 'phon'" in str(err.value)


def test_level_without_threshold_is_named(retail):
    _edit(retail, lambda d: d["comparisons"][1]["levels"].__setitem__(1, {"method": "jaro_winkler"}))
    with pytest.raises(WorkspaceError) as err:
        load_workspace(retail)
    assert "match.yaml: comparisons.1.levels.1: method 'jaro_winkler' needs a threshold" in str(err.value)


def test_pair_in_both_override_lists_is_refused(retail):
    _edit(retail, lambda d: d["overrides"].update(must_link=[["a:1", "b:2"]], cannot_link=[["b:2", "a:1"]]))
    with pytest.raises(WorkspaceError, match="both must_link and cannot_link"):
        load_workspace(retail)


def test_em_recovers_known_m_and_lambda():
    """Simulate pairs from a known model (conditional independence) and check EM finds m and lambda."""
    rng = np.random.default_rng(3)
    policy = load_workspace(ROOT / "examples" / "febrl" / "febrl1").match
    policy = policy.model_copy(update={"comparisons": policy.comparisons[:3]})  # given_name, surname, birth
    true_m = {"given_name": [0.85, 0.08, 0.04, 0.03], "surname": [0.8, 0.1, 0.05, 0.05],
              "date_of_birth": [0.9, 0.05, 0.03, 0.02]}
    true_u = {"given_name": [0.01, 0.01, 0.05, 0.93], "surname": [0.005, 0.01, 0.04, 0.945],
              "date_of_birth": [0.001, 0.01, 0.02, 0.969]}
    n, lam = 200_000, 0.1
    matched = rng.random(n) < lam
    columns = []
    for attr in true_m:
        gammas = np.array([3, 2, 1, 0])
        columns.append(np.where(matched, rng.choice(gammas, n, p=true_m[attr]), rng.choice(gammas, n, p=true_u[attr])))
    patterns, counts = np.unique(np.stack(columns, axis=1), axis=0, return_counts=True)
    u = {a: dict(zip([3, 2, 1, 0], true_u[a], strict=True)) for a in true_u}
    model = initial_model(policy, u, prior=0.01)
    result = run_em(patterns, counts, model, list(true_m), max_iterations=200, tolerance=1e-7)
    assert result.converged
    assert result.proportion_matched == pytest.approx(lam, abs=0.005)
    for attr, expected in true_m.items():
        estimated = [result.m[attr][g] for g in (3, 2, 1, 0)]
        assert np.allclose(estimated, expected, atol=0.01), (attr, estimated)


def test_quality_metrics_by_hand():
    # truth: {a,b,c} {d,e}; predicted: {a,b} {c,d,e}
    truth = pd.DataFrame({"record_id": list("abcde"), "entity": ["1", "1", "1", "2", "2"]})
    predicted = pd.DataFrame({"record_id": list("abcde"), "customer_id": ["x", "x", "y", "y", "y"]})
    m = cluster_quality_pandas(predicted, truth)
    # predicted pairs: ab, cd, ce, de = 4; true pairs: ab, ac, bc, de = 4; both: ab, de = 2
    assert m["pairwise_precision"] == pytest.approx(0.5)
    assert m["pairwise_recall"] == pytest.approx(0.5)
    assert m["pairwise_f1"] == pytest.approx(0.5)
    assert m["cluster_precision"] == 0 and m["cluster_recall"] == 0


def test_overrides_file_adds_pairs_and_rejects_unknown_decisions(retail):
    from jobs.identity.errors import IdentityError
    from jobs.identity.overrides import load_overrides

    (retail / "overrides.csv").write_text("record_a,record_b,decision\nb:2,a:1,cannot_link\nc:3,d:4,must_link\n")
    _edit(retail, lambda d: d["overrides"].update(file="overrides.csv", must_link=[["x:1", "y:1"]]))
    ws = load_workspace(retail)
    pairs = load_overrides(ws.match, ws.root)
    assert pairs.cannot_link == [("a:1", "b:2")]
    assert pairs.must_link == [("c:3", "d:4"), ("x:1", "y:1")]
    (retail / "overrides.csv").write_text("record_a,record_b,decision\na:1,b:2,maybe\n")
    with pytest.raises(IdentityError, match="row 2: decision must be must_link or cannot_link"):
        load_overrides(ws.match, ws.root)
