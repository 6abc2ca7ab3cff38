"""What a normalised value looks like in silver: one rule, used by the normaliser, the suites and the CLI.

jobs/normalize.py keeps a value only when it matches; expectations/derived.py checks silver
against the same pattern. Spark (`rlike`, Java regex) evaluates both, so what the normaliser
keeps, the suite accepts, and the other way round. Commands that read the lake without Spark
(`insights customer --email/--phone`) put a typed value in silver's spelling with the plain
Python forms below: `normal_email` is the same rule as jobs/normalize.email (a test holds them
equal), and `e164` is the very function silver's phone UDF applies to each value.

A present value that breaks its rule is not kept: silver holds null and, in its `_issues` column,
the attribute and one of the reasons below (a blank value is no issue: null in, null out).
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

# Why silver could not normalise a value: the fixed words of `_issues.reason`, so they count.
NOT_AN_EMAIL = "not an e-mail address"
UNKNOWN_COUNTRY = "unknown country"
NOT_A_PHONE = "not a phone number"
UNKNOWN_CALLING_CODE = "unknown country calling code"
PHONE_TOO_SHORT = "too short for its region"
PHONE_TOO_LONG = "too long for its region"
PHONE_WRONG_LENGTH = "wrong length for its region"
PHONE_NOT_VALID = "not a valid number for its region"
ISSUE_REASONS = {
    "email": (NOT_AN_EMAIL,),
    "country": (UNKNOWN_COUNTRY,),
    "phone": (NOT_A_PHONE, UNKNOWN_CALLING_CODE, PHONE_TOO_SHORT, PHONE_TOO_LONG, PHONE_WRONG_LENGTH,
              PHONE_NOT_VALID),
}
_Reason = phonenumbers.ValidationResult
_NOT_POSSIBLE = {  # is_possible_number_with_reason: a local-only number lacks its area code, so is too short
    _Reason.INVALID_COUNTRY_CODE: UNKNOWN_CALLING_CODE,
    _Reason.TOO_SHORT: PHONE_TOO_SHORT,
    _Reason.IS_POSSIBLE_LOCAL_ONLY: PHONE_TOO_SHORT,
    _Reason.TOO_LONG: PHONE_TOO_LONG,
    _Reason.INVALID_LENGTH: PHONE_WRONG_LENGTH,
}
_Unparsed = phonenumbers.NumberParseException
_UNPARSED = {
    _Unparsed.INVALID_COUNTRY_CODE: UNKNOWN_CALLING_CODE,
    _Unparsed.TOO_SHORT_NSN: PHONE_TOO_SHORT,
    _Unparsed.TOO_SHORT_AFTER_IDD: PHONE_TOO_SHORT,
    _Unparsed.TOO_LONG: PHONE_TOO_LONG,
}


def normal_email(text: object) -> str | None:
    """Silver's spelling of an address (trimmed of spaces, lower case), None if it breaks the rule."""
    if text is None:
        return None
    value = str(text).strip(" ").lower()  # Spark's trim removes spaces only
    return value if value and _EMAIL.search(value) else None  # rlike finds, as re.search does


def e164(text: object, region: str) -> str | None:
    """E.164 (+447700900123) of a phone number, read as a number of region without +code; None if not valid."""
    return phone_check(text, region)[0]


def phone_check(text: object, region: str) -> tuple[str | None, str | None]:
    """(E.164, None) of a valid number; (None, reason) of one that is not; (None, None) of a blank.

    Valid is libphonenumber's: possible (a length its region's numbers have, with the area code) and
    valid (in a range its region assigns). The region is the +code's, else `region`.
    """
    if not isinstance(text, str) or not text.strip():
        return None, None
    try:
        parsed = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException as exc:
        return None, _UNPARSED.get(exc.error_type, NOT_A_PHONE)
    possible = phonenumbers.is_possible_number_with_reason(parsed)
    if possible != _Reason.IS_POSSIBLE:
        return None, _NOT_POSSIBLE.get(possible, PHONE_WRONG_LENGTH)
    if not phonenumbers.is_valid_number(parsed):
        return None, PHONE_NOT_VALID
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None
