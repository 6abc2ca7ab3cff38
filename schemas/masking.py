"""How a masked value looks, the same in the card, the search, the report and the exports: one function.

A hashed value is the hex HMAC-SHA256 of its text (UTF-8; dates and times in ISO 8601) keyed by the
workspace's salt, so equal values hash equal (joins and counts still work) and nobody without the
salt can test a guess. A nulled value is None. A null stays null either way.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime
from typing import Any

from schemas.access import MaskKind


def value_text(value: Any) -> str:
    """The text a value is hashed as: strings as they are, dates and times in ISO 8601, others by str()."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)


def hash_value(value: Any, salt: str) -> str | None:
    """HMAC-SHA256 of the value's text keyed by the salt, as 64 hex digits; None for None."""
    if value is None:
        return None
    return hmac.new(salt.encode("utf-8"), value_text(value).encode("utf-8"), hashlib.sha256).hexdigest()


def mask_value(value: Any, kind: MaskKind | None, salt: str | None) -> Any:
    """The value as a role with this mask sees it (kind None: unmasked)."""
    if kind is None:
        return value
    if kind == "null":
        return None
    if salt is None:
        raise ValueError("a hashed mask needs the workspace's salt (access.yaml: salt or salt_env)")
    return hash_value(value, salt)
