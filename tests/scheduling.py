"""How `make test` shares the suite between its two pytest-xdist workers.

Every integration test reads the materialised example, which takes minutes; it is built once per
run, by the first worker that asks, and the others load it (tests/integration/conftest.py). So the
order of the work matters more than its grouping:
1. one integration module first: its worker starts building the example at once;
2. all unit modules next, to whichever worker is free: the other worker starts on them at once;
3. the other integration modules last, the slow ones first, when the example is there to load.
A module stays on one worker, so its module fixtures are built once. Node ids are all the
controller sees, so the rule is by path (xdist's loadgroup marks also rewrite node ids, which
pytest 9.2 no longer reads: pytest-xdist issue 1386).
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

INTEGRATION = "tests/integration/"
# Whose worker builds the example: its own tests take seconds once the example is there.
BUILDS_THE_EXAMPLE = INTEGRATION + "test_pipeline.py"
# Integration modules whose own work takes a minute or more beyond the example (a clean-clone CI run:
# the standalone cluster's own driver and JVMs, forget 107 s, faults 128 s, customer 360 72 s, KPIs 36 s),
# started first so none is left alone at the end.
SLOW_FIRST = tuple(INTEGRATION + name for name in (
    "test_standalone_cluster.py", "test_forget.py", "test_faults.py", "test_customer_360.py", "test_kpis.py", "test_quality.py"))


class ExampleFirstThenUnits(LoadScopeScheduling):
    """Load-scope scheduling by module, in the order the module docstring gives."""

    _ordered = False

    def _split_scope(self, nodeid: str) -> str:
        return nodeid.split("::", 1)[0]

    def _assign_work_unit(self, node) -> None:
        if not self._ordered:
            self._ordered = True
            queue = list(self.workqueue.items())
            self.workqueue.clear()
            self.workqueue.update(sorted(queue, key=lambda item: order(item[0])))
        super()._assign_work_unit(node)


def order(module: str) -> tuple[int, int]:
    """The module's place in the queue: (stage, rank within the stage); sorted() keeps ties in order."""
    if module == BUILDS_THE_EXAMPLE:
        return 0, 0
    if not module.startswith(INTEGRATION):
        return 1, 0
    return 2, SLOW_FIRST.index(module) if module in SLOW_FIRST else len(SLOW_FIRST)
