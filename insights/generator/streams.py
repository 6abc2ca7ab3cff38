"""Independent random streams per purpose and part, so one source never shifts another."""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, purpose: str, part: int = 0) -> np.random.Generator:
    """A reproducible generator for (seed, purpose, part); purposes are stable names."""
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.random.default_rng([seed, zlib.crc32(purpose.encode()), part])


def weighted(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with probability proportional to `weights` (inverse CDF, fast for many draws)."""
    cdf = np.cumsum(weights, dtype=np.float64)
    cdf /= cdf[-1]
    idx = np.searchsorted(cdf, rng.random(size), side="right")
    return np.minimum(idx, len(weights) - 1)


def spread(rng: np.random.Generator, expected: np.ndarray, total: float) -> np.ndarray:
    """Poisson counts per row with means proportional to `expected`, summing to about `total`."""
    s = float(expected.sum())
    if s <= 0 or total <= 0:
        return np.zeros(len(expected), dtype=np.int64)
    return rng.poisson(expected * (total / s)).astype(np.int64)


def scramble(seq: np.ndarray, bits: int = 40) -> np.ndarray:
    """A bijection of [0, 2**bits) that makes sequential numbers look random (for session ids)."""
    mask = np.uint64((1 << bits) - 1)
    x = seq.astype(np.uint64) & mask
    with np.errstate(over="ignore"):
        for mult, shift in ((0x9E3779B97F4A7C15, 17), (0xBF58476D1CE4E5B9, 13)):
            x = (x * np.uint64(mult | 1)) & mask
            x ^= x >> np.uint64(shift)
    return x
