"""The right to be forgotten: find a person everywhere, erase them, audit, suppress, vacuum."""
