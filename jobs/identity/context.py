"""What every identity step shares in one run: the session, the policy, and the prepared records.

Each gold table of identity resolution is written by the module of its name
(jobs/identity/<table>.py) from one `IdentityContext`; the records are prepared once per run
and freed with release().
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from typing import Any, Self

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from jobs.built_from import BuiltFrom, unchanged
from jobs.delta import read_table
from jobs.identity.components import ensure_checkpoint_dir
from jobs.identity.errors import IdentityError
from jobs.identity.overrides import OverridePairs, load_overrides
from jobs.identity.prepare import prepare_records
from jobs.identity.score import with_term_frequencies
from schemas.catalog import Table
from schemas.match import MATCH_FILE, MatchPolicy, match_profile
from schemas.tables import Lake
from schemas.workspace import Workspace


@dataclass(frozen=True)
class IdentityContext:
    """One workspace's identity resolution against one lake."""

    spark: SparkSession
    workspace: Workspace
    lake: Lake
    policy: MatchPolicy
    profile: str  # the profile type whose records are matched

    def path(self, table: Table) -> str:
        """Where a catalogued table lives in this lake."""
        return self.lake.path(table.layer, table.name)

    def read(self, table: Table) -> DataFrame | None:
        """A catalogued table, or None before its first build."""
        return read_table(self.spark, self.path(table))

    @property
    def silver_path(self) -> str:
        return self.lake.silver(self.profile)

    def read_silver(self, type_name: str) -> DataFrame | None:
        """silver/<type>, or None when no source feeds it yet."""
        return read_table(self.spark, self.lake.silver(type_name))

    def profiles(self) -> DataFrame:
        """The silver records of the matched profile."""
        df = self.read_silver(self.profile)
        if df is None:
            raise IdentityError(f"silver/{self.profile} does not exist yet: build silver first")
        return df

    @cached_property
    def records(self) -> DataFrame:
        """Prepared records with term frequencies, kept in memory for the steps of this run."""
        base = prepare_records(self.profiles(), self.policy).persist(StorageLevel.MEMORY_AND_DISK)
        # A local checkpoint cuts the lineage: every later plan starts from these rows, not from silver.
        prepared = with_term_frequencies(base, self.policy).localCheckpoint(eager=True)
        base.unpersist()
        return prepared

    @cached_property
    def overrides(self) -> OverridePairs:
        return load_overrides(self.policy, self.workspace.root)

    def release(self) -> None:
        """Free the cached records."""
        if "records" in self.__dict__:
            self.records.unpersist()
            del self.__dict__["records"]


def identity_context(spark: SparkSession, workspace: Workspace, lake: Lake) -> IdentityContext:
    """The context of a workspace with match.yaml, with a checkpoint directory set for clustering."""
    policy = workspace.match
    if policy is None:
        raise IdentityError(f"the workspace has no {MATCH_FILE}")
    local = lake.root if lake.is_local else None
    ensure_checkpoint_dir(spark, None if local else f"{lake.root.rstrip('/')}/_checkpoints")
    return IdentityContext(spark, workspace, lake, policy, match_profile(policy, workspace))


@dataclass(frozen=True, kw_only=True)
class StepResult:
    """What a step wrote; skipped when its inputs were unchanged and the last build's summary stands."""

    skipped: bool = field(default=False)

    def summary(self) -> dict[str, Any]:
        """The fields kept in the commit's built-from record (all but skipped)."""
        return {k: v for k, v in asdict(self).items() if k != "skipped"}

    def record(self, built: BuiltFrom) -> BuiltFrom:
        """The built-from record of this build, carrying its summary."""
        return built.with_summary(**self.summary())

    @classmethod
    def previous(cls, ctx: IdentityContext, table: Table, built: BuiltFrom) -> Self | None:
        """The last build's result when it was built from the same record (nothing to do), else None."""
        last = unchanged(ctx.spark, ctx.path(table), built)
        if last is None:
            return None
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in last.summary.items() if k in names}, skipped=True)
