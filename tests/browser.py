"""Headless Chromium (Debian's `chromium`, installed by `make test`) for tests that look at a page.

No browser is downloaded at run time: the Debian package's binary renders the page, dumps the
DOM after a probe script wrote each image's natural size into it, and takes screenshots.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

PROBE = """<script>
window.addEventListener('load', () => {
  for (const img of document.images) {
    img.setAttribute('data-natural-width', img.naturalWidth);
    img.setAttribute('data-natural-height', img.naturalHeight);
  }
  document.body.setAttribute('data-probed', 'yes');
});
</script>"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=20000"]


def chromium() -> str:
    """The chromium binary; a missing one fails the test (make test installs it), never skips it."""
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("chromium is not installed: `make test` installs Debian's package (apt-get install chromium)")
    return found


def rendered_dom(page: Path) -> str:
    """The DOM Chromium builds from the page (a copy with the probe script), after its load event."""
    probed = page.with_name(page.stem + ".probe.html")
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = subprocess.run([chromium(), *FLAGS, "--dump-dom", probed.as_uri()], capture_output=True, text=True,
                          timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'data-probed="yes"' in done.stdout, "the probe script did not run: " + done.stderr[-2000:]
    return done.stdout


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 8000) -> Path:
    """A PNG of the page as Chromium draws it (to look at with an image viewer)."""
    done = subprocess.run([chromium(), *FLAGS, f"--window-size={width},{height}", f"--screenshot={png}",
                           page.as_uri()], capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0 and png.exists(), done.stderr[-2000:]
    return png


@dataclass
class Dom:
    """What the tests read back from the rendered DOM: images, tables, facts, missing notes."""

    images: dict[str, tuple[int, int]]  # data-figure -> natural width, height
    tables: dict[str, list[list[str]]]  # data-table -> rows of cell texts (header row first)
    facts: dict[str, str]
    missing: dict[str, list[str]]  # section id -> notes


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.dom = Dom({}, {}, {}, {})
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._text: tuple[str, str] | None = None  # ("fact" | "missing", key)
        self._buffer = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img" and "data-figure" in a:
            self.dom.images[a["data-figure"]] = (int(a.get("data-natural-width") or 0),
                                                 int(a.get("data-natural-height") or 0))
        elif tag == "table" and "data-table" in a:
            self._table = a["data-table"]
            self.dom.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.dom.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif "data-fact" in a or "data-missing" in a:
            self._text = ("fact", a["data-fact"]) if "data-fact" in a else ("missing", a["data-missing"])
            self._buffer = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._text is not None:
            self._buffer += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.dom.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag in ("dd", "p") and self._text is not None:
            kind, key = self._text
            if kind == "fact":
                self.dom.facts[key] = self._buffer.strip()
            else:
                self.dom.missing.setdefault(key, []).append(self._buffer.strip())
            self._text = None


def read_dom(html: str) -> Dom:
    """Images with their natural sizes, tables, facts and missing notes of a rendered report."""
    reader = _Reader()
    reader.feed(html)
    return reader.dom


def table_rows(dom: Dom, table: str) -> list[dict[str, str]]:
    """A table's rows as dicts by header."""
    header, *rows = dom.tables[table]
    return [dict(zip(header, row, strict=True)) for row in rows]
