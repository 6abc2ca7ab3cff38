"""`insights bench ...`: benchmark scripts (not timed tests); each capability adds a subcommand."""

from __future__ import annotations

import click


@click.group()
def bench() -> None:
    """Run a benchmark; results print and append to benchmarks/results/."""


def _register() -> None:
    for command in []:
        bench.add_command(command)


_register()
