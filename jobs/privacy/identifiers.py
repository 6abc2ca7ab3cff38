"""What identifies a person across the lake, and the one-way hashes the audit keeps of it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from pyspark.sql import Column
from pyspark.sql import functions as F

# Kinds of identifier a forgotten person is recognised by when a source re-sends them.
RECORD, CUSTOMER, EMAIL, PHONE = "record", "customer", "email", "phone"


def identifier_hash(kind: str, value: str) -> str:
    """sha256 of '<kind>:<value>': the same person gives the same hash, the hash gives no name."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def hash_column(kind: str, value: Column) -> Column:
    """identifier_hash as a Spark expression (null stays null)."""
    return F.sha2(F.concat(F.lit(f"{kind}:"), value.cast("string")), 256)


@dataclass(frozen=True)
class Subject:
    """Everything found of one person: their records, IDs, contact values and interactions."""

    record_ids: frozenset[str] = frozenset()  # profile records (source:key)
    customer_ids: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()  # normalised (lower case)
    phones: frozenset[str] = frozenset()  # E.164
    interactions: dict[str, frozenset[str]] = field(default_factory=dict)  # type -> record_ids

    @property
    def found(self) -> bool:
        return bool(self.record_ids or self.interactions)

    def interaction_ids(self) -> frozenset[str]:
        return frozenset().union(*self.interactions.values()) if self.interactions else frozenset()

    def values(self) -> frozenset[str]:
        """Every exact value that marks a row as this person's (ids, emails, phones)."""
        return self.record_ids | self.customer_ids | self.emails | self.phones | self.interaction_ids()

    def hashes(self) -> list[str]:
        """Hashed identifiers kept for suppression: records, customer IDs, emails, phones."""
        kinds = [(RECORD, self.record_ids | self.interaction_ids()), (CUSTOMER, self.customer_ids),
                 (EMAIL, self.emails), (PHONE, self.phones)]
        return sorted({identifier_hash(kind, v) for kind, values in kinds for v in values})

    @staticmethod
    def union(subjects: list[Subject]) -> Subject:
        """Several people as one subject: what a batch erases in one pass per table."""
        types = {t for s in subjects for t in s.interactions}
        return Subject(
            record_ids=frozenset().union(*(s.record_ids for s in subjects)),
            customer_ids=frozenset().union(*(s.customer_ids for s in subjects)),
            emails=frozenset().union(*(s.emails for s in subjects)),
            phones=frozenset().union(*(s.phones for s in subjects)),
            interactions={t: frozenset().union(*(s.interactions.get(t, frozenset()) for s in subjects))
                          for t in types},
        )
