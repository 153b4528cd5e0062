"""How report numbers read: thousands separators, one decimal for percentages, Thai digits on request."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from server.core.dates import format_date

ARABIC_TO_THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
MISSING = "—"


@dataclass(frozen=True)
class Numbers:
    """Formats numbers for a page; `thai_digits` writes ๐–๙ (printed reports may ask for them)."""

    thai_digits: bool = False
    locale: str = "th"

    def _digits(self, text: str) -> str:
        return text.translate(ARABIC_TO_THAI) if self.thai_digits else text

    def n(self, value: float | int | None) -> str:
        if value is None:
            return MISSING
        return self._digits(f"{value:,.0f}")

    def pct(self, value: float | None) -> str:
        if value is None:
            return MISSING
        return self._digits(f"{value:,.1f}%")

    def signed_pct(self, value: float | None) -> str:
        if value is None:
            return MISSING
        return self._digits(f"{value:+,.1f}%")

    def date(self, value: dt.date | None) -> str:
        return self._digits(format_date(value, self.locale)) if value else ""

    def text(self, value: object) -> str:
        return self._digits("" if value is None else str(value))
