"""What a normalised value looks like in silver: one rule, used by the normaliser and the suites.

jobs/normalize.py keeps a value only when it matches; expectations/derived.py checks silver
against the same pattern. Spark (`rlike`, Java regex) evaluates both, so what the normaliser
keeps, the suite accepts, and the other way round.
"""

from __future__ import annotations

# A lower-case address: the local part in the characters RFC 5322 allows unquoted, a domain of
# letter-digit-hyphen labels ending in a top-level domain of letters (example.co.uk).
EMAIL_REGEX = (
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$"
)
