"""The executor cap of one run: the profile's, lowered (never raised) by the workspace's and the run's."""

from __future__ import annotations

from schemas.spark_profile import MAX_EXECUTORS, SparkProfile
# Spark refuses a floor or a start above the cap, so a lowered cap lowers them too.
_BELOW_CAP = ("spark.dynamicAllocation.minExecutors", "spark.dynamicAllocation.initialExecutors")


def effective_cap(profile_cap: int | None, *lower: int | None) -> int | None:
    """The smallest of the caps given; a profile without a cap takes the lowest one asked for."""
    caps = [cap for cap in (profile_cap, *lower) if cap is not None]
    if any(cap < 1 for cap in caps):
        raise ValueError(f"an executor cap must be at least 1 (got {caps})")
    return min(caps) if caps else None


def capped_profile(profile: SparkProfile, *lower: int | None) -> SparkProfile:
    """The profile with its maxExecutors lowered to the smallest cap (and its floor and start with it)."""
    cap = effective_cap(profile.max_executors, *lower)
    if cap is None or cap == profile.max_executors:
        return profile
    conf = dict(profile.conf) | {MAX_EXECUTORS: str(cap)}
    for key in _BELOW_CAP:
        if key in conf and int(conf[key]) > cap:
            conf[key] = str(cap)
    return profile.model_copy(update={"conf": conf})
