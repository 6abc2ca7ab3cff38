"""What we print, log or put into metadata never carries a secret: one pattern, shared with Spark's redaction.

Spark redacts a property whose key or value matches spark.redaction.regex (jobs/abfs.py sets it to
SECRET_PATTERN); our own renderings of settings and URIs go through the functions here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "*********(redacted)"  # Spark's own REDACTION_REPLACEMENT_TEXT, so both read alike
# Keys that hold secrets (Spark's default plus SAS settings) and values that are SAS tokens (sig=).
SECRET_PATTERN = r"(?i)secret|password|token|access[.]?key|[.]sas[.]|sig="
_SECRET = re.compile(SECRET_PATTERN)


def redact_settings(settings: Mapping[str, str]) -> dict[str, str]:
    """The settings with every value whose key or value looks secret replaced by the mask, as Spark does."""
    return {k: MASK if _SECRET.search(k) or _SECRET.search(str(v)) else str(v) for k, v in settings.items()}


def redact_uri(uri: str) -> str:
    """The URI without a password in its user info or a SAS signature in its query (postgresql://u:***@h/db)."""
    if "://" not in uri:
        return uri
    parts = urlsplit(uri)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", f":{MASK}@", 1)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    secret = [k.lower() == "sig" or bool(_SECRET.search(k)) for k, _ in pairs]
    if netloc == parts.netloc and not any(secret):
        return uri  # unchanged, exactly (urlunsplit would rewrite sqlite:////abs/path)
    query = urlencode([(k, MASK if s else v) for (k, v), s in zip(pairs, secret, strict=True)], safe="*()/:")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
