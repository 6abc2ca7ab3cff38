"""Print docs/tables.md: the catalogue rendered for the bundled example (`python -m schemas.tables_doc > docs/tables.md`).

Apart from schemas/catalog.py because it loads a workspace: the loader's sections check against the
catalogue (exports.yaml's tables), so the catalogue itself must not import the loader.
"""

from __future__ import annotations

from pathlib import Path

from schemas.catalog import EXAMPLE, render_doc
from schemas.loader import load_workspace

if __name__ == "__main__":
    print(render_doc(load_workspace(Path(__file__).resolve().parents[1] / EXAMPLE)), end="")
