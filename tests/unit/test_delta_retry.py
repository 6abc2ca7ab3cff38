"""Writes retried when a concurrent writer commits first; other errors are not retried."""

from __future__ import annotations

import pytest
from delta.exceptions import ConcurrentAppendException, ConcurrentTransactionException

from jobs import delta


def test_a_conflicting_write_is_retried_until_it_commits(monkeypatch):
    monkeypatch.setattr(delta.time, "sleep", lambda _: None)
    outcomes = [ConcurrentAppendException(message="files added"),
                ConcurrentTransactionException(message="same txn"), "committed"]

    def write():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert delta.retry_on_conflict(write, "test") == "committed"
    assert outcomes == []


def test_it_gives_up_after_the_last_attempt_and_other_errors_pass_through(monkeypatch):
    monkeypatch.setattr(delta.time, "sleep", lambda _: None)
    calls = []

    def always_conflicts():
        calls.append(1)
        raise ConcurrentAppendException(message="files added")

    with pytest.raises(ConcurrentAppendException):
        delta.retry_on_conflict(always_conflicts, "test", attempts=3)
    assert len(calls) == 3

    def broken():
        calls.append(2)
        raise ValueError("not a conflict")

    with pytest.raises(ValueError):
        delta.retry_on_conflict(broken, "test")
    assert calls.count(2) == 1
