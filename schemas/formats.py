"""What a normalised value looks like in silver: one rule, used by the normaliser, the suites and the CLI.

jobs/normalize.py keeps a value only when it matches; expectations/derived.py checks silver
against the same pattern. Spark (`rlike`, Java regex) evaluates both, so what the normaliser
keeps, the suite accepts, and the other way round. Commands that read the lake without Spark
(`insights customer --email/--phone`) put a typed value in silver's spelling with the plain
Python forms below: `normal_email` is the same rule as jobs/normalize.email (a test holds them
equal), and `e164` is the very function silver's phone UDF applies to each value.
"""

from __future__ import annotations

import re

import phonenumbers

# A lower-case address: the local part in the characters RFC 5322 allows unquoted, a domain of
# letter-digit-hyphen labels ending in a top-level domain of letters (example.co.uk).
EMAIL_REGEX = (
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$"
)
_EMAIL = re.compile(EMAIL_REGEX)


def normal_email(text: object) -> str | None:
    """Silver's spelling of an address (trimmed of spaces, lower case), None if it breaks the rule."""
    if text is None:
        return None
    value = str(text).strip(" ").lower()  # Spark's trim removes spaces only
    return value if value and _EMAIL.search(value) else None  # rlike finds, as re.search does


def e164(text: object, region: str) -> str | None:
    """E.164 (+447700900123) of a phone number, read as a number of region without +code; None if impossible."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        parsed = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
