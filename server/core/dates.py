"""Buddhist-Era dates: shown as "24 พ.ย. 2569", typed as 24/11/2569, stored as Gregorian dates."""
from __future__ import annotations

import datetime as dt
import re

from server.core.i18n import translations

BE_OFFSET = 543
# Typed years outside this (Gregorian) span are typing slips (0001, 3569), not program dates.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200
THAI_TIME = dt.timezone(dt.timedelta(hours=7), "ICT")  # Thailand keeps no daylight saving
# Month abbreviations are messages (locale/<lang>/LC_MESSAGES/dates.po), looked up in the language asked for.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(value: dt.date | dt.datetime | str | None, locale: str = "th") -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    year = value.year + BE_OFFSET
    month = translations(locale).gettext(MONTHS[value.month - 1])
    if locale == "en":
        return f"{value.day} {month} {year} BE"
    return f"{value.day} {month} {year}"


def format_datetime(value: dt.datetime | None, locale: str = "th") -> str:
    """A moment in Thai time: "24 พ.ย. 2569 14:05"."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    local = value.astimezone(THAI_TIME)
    return f"{format_date(local.date(), locale)} {local:%H:%M}"


def to_input(value: dt.date | None) -> str:
    """The text a date field shows for editing: dd/mm/yyyy in the Buddhist Era."""
    if value is None:
        return ""
    return f"{value.day:02d}/{value.month:02d}/{value.year + BE_OFFSET}"


class DateInputError(ValueError):
    pass


def parse_date(text: str | None) -> dt.date | None:
    """Read 24/11/2569, 24-11-2569, 2569-11-24 (BE) or 2026-11-24 (CE, from <input type=date>).

    Years above 2400 are Buddhist Era. Blank is None; anything else, including a year outside
    1900–2200 once read as Gregorian (BE 2443–2743), raises DateInputError.
    """
    if text is None or not text.strip():
        return None
    text = text.strip()
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if not match:
            raise DateInputError(text)
        year, month, day = (int(g) for g in match.groups())
    if year > 2400:
        year -= BE_OFFSET
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise DateInputError(text)
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise DateInputError(text) from exc
