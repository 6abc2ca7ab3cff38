"""Identity resolution on Spark: records of the primary profile -> stable customer IDs.

prepare (normalise) -> blocking (candidate pairs) -> compare (levels) -> train (m, u, prior)
-> score (weights) -> components (clusters) -> overrides -> stable_ids -> golden, interactions.
Each module is DataFrame in, DataFrame out; pipeline.py reads and writes the lake tables.
"""

from jobs.identity.errors import IdentityError

__all__ = ["IdentityError"]
