"""`insights bench ...`: benchmark scripts (not timed tests); each capability adds a subcommand."""

from __future__ import annotations

import click


@click.group()
def bench() -> None:
    """Run a benchmark; results print and append to benchmarks/results/."""


def _register() -> None:
    from insights.bench.forget import forget
    from insights.bench.kpis import kpis
    from insights.commands.bench_match import match
    from insights.bench.scale import scale
    from insights.bench.scoring import scoring
    from insights.bench.summary import summary

    for command in [kpis, scoring, match, forget, scale, summary]:
        bench.add_command(command)


_register()
