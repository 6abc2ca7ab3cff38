"""Split an interaction source into part files by blocks of people, so memory stays bounded."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from insights.generator.badrows import bad_positions


@dataclass(frozen=True)
class Chunk:
    """One part file's worth of rows: the people in it and how many rows are anonymous / bad."""

    part: int  # 1-based part number
    persons: np.ndarray  # people with rows in this part
    anonymous: int  # rows (or sessions) that belong to nobody known
    bad: int  # broken rows to inject into this part


def plan_chunks(rng: np.random.Generator, per_person: np.ndarray, anonymous: int, rows_per_unit: float,
                part_rows: int, bad_total: int) -> list[Chunk]:
    """Cut people into consecutive blocks of about `part_rows` output rows each."""
    persons = np.flatnonzero(per_person > 0)
    units = np.cumsum(per_person[persons], dtype=np.float64)
    known = float(units[-1]) if len(units) else 0.0
    k = max(1, int(np.ceil((known + anonymous) * rows_per_unit / part_rows)))
    cuts = np.searchsorted(units, np.linspace(0, known, k + 1)[1:-1], side="right")
    blocks = np.split(persons, cuts)
    anon = np.diff(np.linspace(0, anonymous, k + 1).astype(np.int64))
    bad = rng.multinomial(bad_total, np.full(k, 1.0 / k))
    return [Chunk(i + 1, blocks[i], int(anon[i]), int(bad[i])) for i in range(k)]


@dataclass
class KeySequence:
    """Running key numbers of a source across its parts (bad rows use up numbers too)."""

    next: int = 1

    def allocate(self, rng: np.random.Generator, n_good: int, n_bad: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(good keys, bad keys, bad positions) for a part of n_good + n_bad rows in file order."""
        n_bad = min(n_bad, n_good)  # never more broken rows than templates to copy
        at = bad_positions(rng, n_good, n_bad)
        numbers = self.next + np.arange(n_good + n_bad, dtype=np.int64)
        self.next += n_good + n_bad
        is_bad = np.zeros(n_good + n_bad, dtype=bool)
        is_bad[at] = True
        return numbers[~is_bad], numbers[at], at
