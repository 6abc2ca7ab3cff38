"""`insights bench match`: identity resolution against Splink 5 (DuckDB and Spark backends)."""

from __future__ import annotations

import click

TOOLS = ["customer-insights-spark", "splink-duckdb", "splink-spark"]


@click.command("match")
@click.option("--dataset", type=click.Choice(["febrl4", "febrl1", "generated", "noisy"]), required=True)
@click.option("--scale", type=click.Choice(["tiny", "small", "medium", "large"]), default=None,
              help="Scale of the generated data set (default: medium) or of the noisy people (default: small).")
@click.option("--tool", "tools", multiple=True, type=click.Choice(TOOLS),
              help="Run only these tools (default: all three).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line and tool.")
def match(dataset: str, scale: str | None, tools: tuple[str, ...], as_json: bool) -> None:
    """Precision, recall, F1 and seconds of each tool; appended to benchmarks/results/match.jsonl."""
    from insights.bench.match import BenchSetupError, bench_match
    from insights.bench.results import RESULTS_DIR, emit

    progress = (lambda _m: None) if as_json else (lambda m: click.echo(m, err=True))
    try:
        rows = bench_match(dataset, scale, list(tools) or TOOLS, progress=progress)
    except BenchSetupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(emit(rows, as_json))
    if not as_json:
        click.echo(f"appended to {RESULTS_DIR / 'match.jsonl'}")
