"""Benchmarks run apart from the test suite: each compares against a peer in the same run."""
