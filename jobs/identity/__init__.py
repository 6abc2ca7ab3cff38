"""Identity resolution on Spark: records of the primary profile -> stable customer IDs.

prepare (normalise) -> blocking (candidate pairs) -> compare (levels) -> train (m, u, prior)
-> score (weights) -> components (clusters) -> overrides -> stable_ids. Those modules are
DataFrame in, DataFrame out; each gold table is written by the module of its name
(identity_model, identity_pairs, identity_clusters, customer_ids, customer_id_history,
golden_customer, interaction_customers) from one context.IdentityContext; resolve.py runs them.
"""

from jobs.identity.errors import IdentityError

__all__ = ["IdentityError"]
