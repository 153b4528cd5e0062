"""Comparing Thai names as people write them: titles, tone marks and spacing do not make another person."""
from __future__ import annotations

import re
import unicodedata

# Titles before a head's name, longest first (นางสาว before นาง); abbreviations with their dot.
TITLES = ("นางสาว", "น.ส.", "นาย", "นาง", "ด.ญ.", "ด.ช.", "เด็กหญิง", "เด็กชาย")
# Tone marks and the sign that silences a letter: spelled either way, a name is the same name.
MARKS = re.compile("[\u0e47-\u0e4c]")
_SPACES = re.compile(r"[\s.]+")


def normalize_name(name: str | None) -> str:
    """The key two spellings of one person's name share: no title, no tone marks, no spaces, lower case."""
    # NFKC spells sara am (ำ) as nikhahit + sara aa, the way some keyboards type it.
    text = unicodedata.normalize("NFKC", name or "").strip()
    for title in sorted(TITLES, key=len, reverse=True):
        if text.startswith(title):
            text = text[len(title):]
            break
    return _SPACES.sub("", MARKS.sub("", text)).lower()
