"""The one error identity resolution raises on purpose: it says what is wrong and what to change."""


class IdentityError(RuntimeError):
    """Identity resolution cannot go on as configured; the message names the match.yaml key."""
