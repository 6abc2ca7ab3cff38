"""Nothing that grows with people or interactions reaches the driver on a large-table path (issue 13 item 5).

Every `.collect()`, `.toPandas()`, `.toLocalIterator()`, `.take(`, `.head(` and `.first()` in the modules
that build bronze, silver, identity, KPIs, segments, customer 360 and scores must be on ALLOWED, with why
what it brings back is small. A new one fails here until it is reviewed: compute it Spark-side instead, or
allow it with its reason. Column functions (`F.first(...)`) are not DataFrame calls and are skipped.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALLS = {"collect", "toPandas", "toLocalIterator", "take", "head", "first"}
# Large-table paths: every module of jobs/ and ml/ that a run's tables go through (schemas/catalog.py's
# writers and what they call). Not here: jobs/export (delta-rs, batch by batch) and jobs/privacy (forget:
# delta-rs reads of the columns asked about; its own benchmark).
SCANNED = ("jobs", "ml")
NOT_SCANNED = ("jobs/export", "jobs/privacy")
FUNCTION_MODULES = {"F", "functions"}

# (module, function, call) -> (how many, why it is small)
ALLOWED: dict[tuple[str, str, str], tuple[int, str]] = {
    ("jobs/bronze.py", "_counts", "collect"): (1, "counts per source file and quarantine reason: a row for each"),
    ("jobs/built_from.py", "last_built_from", "collect"): (1, "userMetadata of the last HISTORY_DEPTH commits"),
    ("jobs/identity/blocking.py", "rule_pair_counts", "collect"): (1, "the `top` biggest blocks per rule"),
    ("jobs/identity/customer_ids.py", "build_customer_ids", "collect"): (1, "counts per kind of change"),
    ("jobs/identity/explain.py", "explain", "collect"): (3, "`insights match explain`: the two records asked about"),
    ("jobs/identity/explain.py", "explain", "first"): (3, "`insights match explain`: one pair's row"),
    ("jobs/identity/identity_clusters.py", "_cluster", "collect"): (
        1, "clusters over max_cluster_size only: a handful, each a data problem to report"),
    ("jobs/identity/identity_clusters.py", "build_identity_clusters", "collect"): (1, "one row of totals"),
    ("jobs/identity/identity_model.py", "stored_model", "collect"): (1, "limit(1): the prior row"),
    ("jobs/identity/identity_pairs.py", "build_identity_pairs", "collect"): (1, "one row of totals"),
    ("jobs/identity/identity_pairs.py", "weight_distribution", "collect"): (1, "one row per match-weight bin"),
    ("jobs/identity/interaction_customers.py", "of", "collect"): (1, "counts per interaction type and link"),
    ("jobs/identity/overrides.py", "cut_cannot_links", "collect"): (
        3, "the clusters holding a cannot-link pair of overrides.yaml: bounded by the overrides and max_cluster_size"),
    ("jobs/identity/quality.py", "cluster_quality", "first"): (3, "one-row sums"),
    ("jobs/identity/train.py", "total_pairs", "collect"): (1, "one count per source"),
    ("jobs/identity/train.py", "pattern_counts", "collect"): (1, "one row per comparison-level pattern (gammas)"),
    ("jobs/kpis/asof.py", "resolve_as_of", "first"): (1, "one-row max"),
    ("jobs/kpis/business.py", "touched_periods", "collect"): (1, "distinct period starts: days/weeks/months"),
    ("jobs/kpis/customer.py", "empty_values", "first"): (1, "one row of an empty frame's defaults"),
    ("jobs/segments/refresh.py", "refresh_segments", "collect"): (1, "counts per segment"),
    ("jobs/segments/refresh.py", "_as_of", "first"): (1, "one-row max"),
    ("jobs/segments/segment_sizes.py", "recorded_sizes", "collect"): (1, "one size per segment"),
    ("jobs/silver.py", "newest_batch", "first"): (1, "one-row max batch (a bronze table without statistics)"),
    ("jobs/silver.py", "holds_batch", "head"): (1, "delta-rs, head(1): one row at most"),
    ("jobs/silver.py", "seen_batches", "collect"): (1, "the newest batch per source: a row for each"),
    ("jobs/silver.py", "merge_into", "first"): (1, "the last commit's metrics"),
    ("jobs/writes.py", "last_writer", "first"): (1, "the last commit's userMetadata"),
    ("ml/baselines.py", "recency_rule", "first"): (1, "one-row average"),
    ("ml/dataset.py", "label_scale", "first"): (1, "one-row sum"),
    ("ml/dataset.py", "usable_features", "first"): (1, "one row of counts per feature"),
    ("ml/evaluation.py", "binary_metrics", "first"): (1, "one row of metrics"),
    ("ml/evaluation.py", "lift_at", "first"): (1, "one-row average"),
    ("ml/evaluation.py", "numeric_metrics", "first"): (1, "one row of metrics"),
    ("ml/evaluation.py", "calibration_table", "collect"): (1, "one row per calibration bin"),
    ("ml/pipeline.py", "with_baseline", "first"): (1, "one-row average"),
    ("ml/pipeline.py", "log_run", "toPandas"): (2, "limit(20): the model signature's example"),
    ("ml/pipeline.py", "write_artifacts", "toPandas"): (
        3, "a PLOT_SAMPLE sample of the holdout; describe()'s 8 rows; value counts of a categorical feature "
           "(at most max_categories values, usable_features)"),
    ("ml/scores.py", "last_scoring", "collect"): (1, "limit(2): is there one model version"),
    ("ml/training.py", "with_class_weights", "collect"): (1, "counts per label"),
}


def driver_calls(source: str, module: str) -> Counter:
    """(module, enclosing function, call) -> occurrences of a driver-bound DataFrame call in the source."""
    found: Counter = Counter()
    tree = ast.parse(source)
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        nested = {id(n) for f in ast.walk(function) if f is not function
                  and isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in ast.walk(f)}
        for node in ast.walk(function):
            if id(node) in nested or not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            receiver = node.func.value
            if node.func.attr in CALLS and not (isinstance(receiver, ast.Name) and receiver.id in FUNCTION_MODULES):
                found[(module, function.name, node.func.attr)] += 1
    return found


def scanned_modules() -> list[Path]:
    """The large-table path's modules."""
    paths = [p for root in SCANNED for p in sorted((ROOT / root).rglob("*.py"))]
    return [p for p in paths if not any(p.relative_to(ROOT).as_posix().startswith(n + "/") for n in NOT_SCANNED)]


def all_calls() -> Counter:
    found: Counter = Counter()
    for path in scanned_modules():
        found += driver_calls(path.read_text(), path.relative_to(ROOT).as_posix())
    return found


def unreviewed(found: Counter) -> list[str]:
    """Calls not on ALLOWED, or more of them in a function than were reviewed."""
    return [f"{m}: {f}() calls .{c}() {n}x, reviewed {ALLOWED.get((m, f, c), (0, ''))[0]}x"
            for (m, f, c), n in sorted(found.items()) if n > ALLOWED.get((m, f, c), (0, ""))[0]]


def test_every_driver_call_on_a_large_table_path_is_reviewed():
    assert unreviewed(all_calls()) == []


def test_the_allow_list_has_no_stale_entries():
    found = all_calls()
    assert [k for k, (n, _) in ALLOWED.items() if found.get(k, 0) != n] == []


def test_an_added_collect_fails():
    module = "jobs/silver.py"
    added = (ROOT / module).read_text() + "\n\ndef everyone(silver):\n    return silver.select('x').collect()\n"
    found = all_calls() - driver_calls((ROOT / module).read_text(), module) + driver_calls(added, module)
    assert unreviewed(found) == ["jobs/silver.py: everyone() calls .collect() 1x, reviewed 0x"]


def test_column_functions_are_not_driver_calls():
    code = "def f(df):\n    return df.groupBy('a').agg(F.first('b')).toPandas()\n"
    assert driver_calls(code, "m.py") == Counter({("m.py", "f", "toPandas"): 1})


def test_the_scanned_modules_cover_the_catalogue_writers():
    from schemas.catalog import FIXED_TABLES, bronze_table

    writers = {t.module for t in [*FIXED_TABLES, bronze_table("any")] if t.module.split(".")[0] in SCANNED}
    scanned = {p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".") for p in scanned_modules()}
    assert writers - scanned == {m for m in writers if m.startswith(("jobs.privacy", "jobs.export"))}
    assert "jobs.silver" in scanned and "ml.scores" in scanned
