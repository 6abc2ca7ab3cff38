"""How `make test` shares the suite between its two pytest-xdist workers.

Every integration test reads the materialised example (tests/integration/conftest.py), which
costs minutes and is built once per worker that asks for it: so tests/integration is one unit of
work, for one worker. Everything else goes module by module (a module's fixtures are built once),
to whichever worker is free. The integration unit is collected first, so it starts at once and the
other worker drains the unit tests beside it.

A path rule, not xdist's `loadgroup` marks: pytest 9.2 no longer reads the node id that loadgroup
rewrites (pytest-xdist issue 1386), and the controller that schedules sees node ids only.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

EXAMPLE_READERS = "tests/integration/"


class ExampleReadersTogether(LoadScopeScheduling):
    """Load-scope scheduling whose scopes are tests/integration as a whole, else the module."""

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return EXAMPLE_READERS if module.startswith(EXAMPLE_READERS) else module
