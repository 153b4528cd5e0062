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


# --- the one clock -------------------------------------------------------------------------------
# Every "now" and "today" of the server comes from here, in Thai time whatever the machine's zone
# (a container runs in UTC: from 00:00 to 07:00 Thai time its local date is still yesterday).

def _source() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def utc_now() -> dt.datetime:
    """This moment, as an aware UTC time (what the database stores)."""
    return _source()


def thai_now() -> dt.datetime:
    """This moment on the clocks of Thailand, where the offices and phones are."""
    return _source().astimezone(THAI_TIME)


def thai_today() -> dt.date:
    """Today's date in Thailand, whatever the server's clock zone."""
    return thai_now().date()


def fiscal_year_be(on: dt.date) -> int:
    """The Thai fiscal year runs 1 Oct – 30 Sep and is named by its BE year (Oct 2026 → 2570)."""
    return on.year + BE_OFFSET + (1 if on.month >= 10 else 0)


def current_fiscal_year() -> int:
    """The fiscal year (BE) that today, in Thailand, belongs to."""
    return fiscal_year_be(thai_today())


def fiscal_year_span(fiscal_year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a fiscal year named in the Buddhist Era (2570: 1 Oct 2026 – 30 Sep 2027)."""
    year = fiscal_year - BE_OFFSET
    return dt.date(year - 1, 10, 1), dt.date(year, 9, 30)


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
