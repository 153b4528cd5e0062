"""Numbers as people type them: Thai digits, separators, and the bound of a stored integer."""
from __future__ import annotations

import re

# Integer columns are 32-bit on PostgreSQL (and SQLite refuses Python ints past 64 bits): a number
# typed or put in a URL beyond this is never a real value, so it is refused before it reaches a query.
MAX_INT = 2_147_483_647


def ascii_digits(raw: str) -> str:
    return raw.replace(",", "").replace(" ", "").translate(THAI_DIGITS)


def parse_int(raw: str | None) -> int | None:
    """A whole number in ASCII or Thai digits (commas and spaces allowed) that a column can hold; else None."""
    if raw is None:
        return None
    cleaned = ascii_digits(raw)
    if not re.fullmatch(r"[+-]?[0-9]{1,10}", cleaned):  # str.isdigit() would let "²" through to int()
        return None
    value = int(cleaned)
    return value if -MAX_INT <= value <= MAX_INT else None


THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
