"""`insights forget`: erase one person from every table, audit it, and vacuum old file versions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyspark.sql import SparkSession

from jobs.lake import lake_tables, vacuum_tables
from jobs.privacy.forget_requests import AuditEntry, record_request
from jobs.privacy.erase import erase_subject
from jobs.privacy.identifiers import Subject, identifier_hash
from jobs.privacy.subject import find_subject, normalised
from schemas.privacy import privacy_settings
from schemas.tables import Lake
from schemas.workspace import Workspace


@dataclass(frozen=True)
class ForgetResult:
    """What a forget request did: rows removed per table and the tables vacuumed."""

    request_id: str
    subject: Subject
    rows_removed: dict[str, int] = field(default_factory=dict)
    vacuumed: list[str] = field(default_factory=list)
    retention_hours: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.rows_removed.values())

    def render(self) -> str:
        """A short report for the terminal (counts only, no personal data)."""
        if not self.subject.found:
            return f"request {self.request_id}: nobody found; recorded, nothing removed"
        lines = [f"request {self.request_id}: {self.total} rows removed"]
        lines += [f"  {table:<40} {rows:>8}" for table, rows in sorted(self.rows_removed.items()) if rows]
        lines.append(
            f"{len(self.vacuumed)} tables vacuumed (retention {self.retention_hours:g} h: older file "
            "versions are gone; newer ones go when a later vacuum passes the retention)"
        )
        return "\n".join(lines)


def forget(
    spark: SparkSession,
    workspace: Workspace,
    lake: Lake,
    customer: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    retention_hours: float | None = None,
) -> ForgetResult:
    """Remove the person named by one identifier from bronze, silver, gold and quarantine."""
    given = [(k, v) for k, v in (("customer", customer), ("email", email), ("phone", phone)) if v]
    if len(given) != 1:
        raise ValueError("name the person by exactly one of customer, email or phone")
    kind, value = given[0]
    settings = privacy_settings(workspace.privacy)
    retention = settings.retention_hours if retention_hours is None else retention_hours
    region = workspace.settings.defaults.country
    canonical = value if kind == "customer" else (normalised(spark, kind, value, region) or value)

    subject = find_subject(spark, workspace, lake, customer=customer, email=email, phone=phone)
    present = lake_tables(spark, lake)  # erased through the catalogue, all vacuumed
    erased = erase_subject(spark, workspace, present, subject) if subject.found else []
    request_id = str(uuid.uuid4())
    vacuumed = vacuum_tables(spark, present, retention)
    record_request(
        spark,
        lake,
        AuditEntry(
            request_id=request_id,
            requested_at=datetime.now(UTC).replace(microsecond=0),
            identifier_kind=kind,
            identifier_hash=identifier_hash(kind, canonical),
            subject_hashes=subject.hashes() if settings.suppress else [],
            rows_removed={e.table: e.rows for e in erased},
            retention_hours=retention,
            vacuumed_tables=len(vacuumed),
        ),
    )
    return ForgetResult(
        request_id=request_id,
        subject=subject,
        rows_removed={e.table: e.rows for e in erased},
        vacuumed=vacuumed,
        retention_hours=retention,
    )
