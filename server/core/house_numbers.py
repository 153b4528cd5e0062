"""The natural order of house numbers (2 before 10, 12/3 before 12/10), in Python and as a stored key."""
from __future__ import annotations

import re

# Runs of decimal digits of any script (Thai ๐–๙ too, which int() reads) and runs of anything else.
_PARTS = re.compile(r"\d+|\D+")
# A character of a text part is written as its code point plus this offset, in 7 digits: every
# character code starts with 1 or 2, so the "0" that ends a text part sorts before any character.
_CHAR_OFFSET = 1_000_000


def house_number_key(house_no: str | None) -> tuple:
    """Sort 2 before 10 and 12/3 before 12/10: digit runs (Thai digits too) compare as numbers, the
    rest as text."""
    return tuple((0, int(part), "") if part[0].isdecimal() else (1, 0, part)
                 for part in _PARTS.findall(house_no or ""))


def house_sort_key(house_no: str | None) -> str:
    """`house_number_key` as text whose plain string order is the same order, so the database can
    sort and page households by it (the `household.house_sort` column).

    Each part of the key is written so that no part's text is the beginning of another's and text
    order within one kind of part is the key's order: a number as "1", the count of digits of its
    length, its length, its digits (a longer number is a larger one); a text part as "2", 7 digits
    per character, and "0". The key holds digits only, so it sorts the same under any collation.
    """
    out = []
    for kind, number, text in house_number_key(house_no):
        if kind == 0:
            digits = str(number)
            length = str(len(digits))
            out.append(f"1{len(length)}{length}{digits}")
        else:
            out.append("2" + "".join(f"{ord(char) + _CHAR_OFFSET:07d}" for char in text) + "0")
    return "".join(out)
