"""The words the phone says without the server: its checks' messages and the month names, taken from
the message catalogs (the same sentences the server's FieldErrors say), in Thai and English.

The field pages embed them (`templates/field_base.html`), so `pwa/js/rules.js` and `format.js` hold
no words of their own; the shared rule cases (tests/cases/field_rules.json) hold both sides to them.
"""
from __future__ import annotations

from functools import lru_cache

from server.core.dates import MONTHS
from server.core.i18n import translations

# The message ids of server.program.field_checks and server.program.rules that the phone checks too.
RULE_MESSAGES = (
    "This field is required",
    "The citizen ID must be 13 digits",
    "The citizen ID is not valid (its check digit does not match)",
    "Type a whole number, e.g. 36000",
    "Must not be negative",
    "Must be at least {minimum}",
    "Must be at most {maximum:,}",
    "Must be text",
    "Contains a character that is not allowed",
    "Longer than {max_length} characters",
    "Must be true or false",
    "Not one of: {choices}",
    "Not a valid date (YYYY-MM-DD)",
    "The year must be between {min_year} and {max_year}",
    "Not a valid phone number",
    "Not a valid record id",
    "This day has not come yet: use today or an earlier day",
    "Type the household's income, or tick \"Income not known\"",
    "An income is typed and \"Income not known\" is ticked: keep one of them",
    "The survey date must not be before {day} (the start of fiscal year {year}): check the day and the year",
    "This training day is dated {day}, after today: ask the office to move the day's date, then send again",
)


@lru_cache(maxsize=2)
def phone_words(*, checks: bool) -> dict[str, str]:
    """{message id: Thai} for the month names and, with `checks`, the phone's checks. English needs no
    table: a message id is its English sentence (a month's, its abbreviation)."""
    ids = (*MONTHS, *(RULE_MESSAGES if checks else ()))
    return {message: translations("th").gettext(message) for message in ids}
