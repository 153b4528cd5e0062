"""Checks of single fields, the same for every way a record comes in: numbers, text, dates, choices, citizen IDs."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from server.core.dates import format_date
from server.core.i18n import translations
from server.core.numbers import THAI_DIGITS

MAX_INCOME = 100_000_000  # baht per year; anything above is a typing error, not a household


@dataclass(frozen=True)
class FieldError:
    """A value refused: the field, a code the API and the phone act on, and the message's id.

    The message id is the English sentence (with `{name}` for values); the words people read come
    from the message catalogs (`server/locale/<lang>/LC_MESSAGES/rules.po`), like every other word.
    """

    field: str
    code: str  # invalid | required | unknown_reference | forbidden | deleted | unknown_entity ...
    message_id: str
    params: tuple[tuple[str, Any], ...] = ()

    def message(self, locale: str) -> str:
        # A day among the values reads as every date does in that language (Buddhist Era).
        values = {name: format_date(value, locale) if isinstance(value, dt.date) else value
                  for name, value in self.params}
        return translations(locale).gettext(self.message_id).format(**values)

    @property
    def message_th(self) -> str:
        return self.message("th")

    @property
    def message_en(self) -> str:
        return self.message("en")

    def as_api(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code,
                "message": f"{self.message_th} / {self.message_en}",
                "message_th": self.message_th, "message_en": self.message_en}


def refusal(field: str, code: str, message_id: str, **params: Any) -> FieldError:
    return FieldError(field, code, message_id, tuple(params.items()))


def required(field: str) -> FieldError:
    return refusal(field, "required", "This field is required")


def invalid(field: str, message_id: str, **params: Any) -> FieldError:
    return refusal(field, "invalid", message_id, **params)


def citizen_id_check_digit(first12: str) -> int:
    """The 13th digit of a Thai citizen ID: (11 − Σ dᵢ·(14−i) mod 11) mod 10."""
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


_THIRTEEN_DIGITS = re.compile(r"[0-9]{13}")  # ASCII only: str.isdigit() also accepts ² and ๑


def normalize_citizen_id(raw: str | None) -> str | None:
    """Strip the dashes and spaces people type (1-2345-67890-12-3), read Thai digits; None for blank."""
    if raw is None:
        return None
    cleaned = re.sub(r"[\s-]", "", str(raw)).translate(THAI_DIGITS)
    return cleaned or None


def is_valid_citizen_id(value: str) -> bool:
    return (_THIRTEEN_DIGITS.fullmatch(value) is not None
            and citizen_id_check_digit(value[:12]) == int(value[12]))


def check_citizen_id(field: str, value: Any) -> list[FieldError]:
    if value is None or value == "":
        return []
    if not isinstance(value, str):
        return [invalid(field, 'The citizen ID must be 13 digits')]
    if _THIRTEEN_DIGITS.fullmatch(value) is None:
        return [invalid(field, 'The citizen ID must be 13 digits')]
    if not is_valid_citizen_id(value):
        return [invalid(field, 'The citizen ID is not valid (its check digit does not match)')]
    return []


def mask_citizen_id(value: str | None) -> str:
    """Lists and exports show only the last 4 digits: x-xxxx-xxxxx-12-3."""
    if not value:
        return ""
    return "x-xxxx-xxxxx-" + value[10:12] + "-" + value[12:]


def check_int(field: str, value: Any, *, minimum: int = 0, maximum: int = MAX_INCOME,
              optional: bool = True) -> list[FieldError]:
    if value is None:
        return [] if optional else [required(field)]
    if isinstance(value, bool) or not isinstance(value, int):
        return [invalid(field, 'Type a whole number, e.g. 36000')]
    if value < minimum:
        if minimum == 0:
            return [invalid(field, 'Must not be negative')]
        return [invalid(field, 'Must be at least {minimum}', minimum=minimum)]
    if value > maximum:
        return [invalid(field, 'Must be at most {maximum:,}', maximum=maximum)]
    return []


def check_text(field: str, value: Any, *, max_length: int = 200, optional: bool = True) -> list[FieldError]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return [] if optional else [required(field)]
    if not isinstance(value, str):
        return [invalid(field, 'Must be text')]
    if "\x00" in value:
        return [invalid(field, 'Contains a character that is not allowed')]
    if len(value) > max_length:
        return [invalid(field, 'Longer than {max_length} characters', max_length=max_length)]
    return []


def check_bool(field: str, value: Any, *, optional: bool = True) -> list[FieldError]:
    if value is None:
        return [] if optional else [required(field)]
    if not isinstance(value, bool):
        return [invalid(field, 'Must be true or false')]
    return []


def check_choice(field: str, value: Any, choices: tuple[str, ...], *, optional: bool = False) -> list[FieldError]:
    if value is None:
        return [] if optional else [required(field)]
    if value not in choices:
        return [invalid(field, "Not one of: {choices}", choices=", ".join(choices))]
    return []


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only, no week or ordinal dates


MIN_YEAR, MAX_YEAR = 1900, 2200  # Gregorian: a Buddhist-era year sent as CE (2569) is refused


def check_date(field: str, value: Any, *, optional: bool = True) -> list[FieldError]:
    """Dates travel as `YYYY-MM-DD` text (Gregorian) in the API; pages parse BE input before calling this.

    Only that form: not a number (20261124), a week date (2026-W48-2), a time, or other digits.
    """
    if value is None:
        return [] if optional else [required(field)]
    if isinstance(value, dt.date):
        day: dt.date | None = value
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            day = None
    else:
        day = None
    if day is None:
        return [invalid(field, 'Not a valid date (YYYY-MM-DD)')]
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        return [invalid(field, 'The year must be between {min_year} and {max_year}', min_year=MIN_YEAR, max_year=MAX_YEAR)]
    return []


def check_phone(field: str, value: Any) -> list[FieldError]:
    if value is None or value == "":
        return []
    if not isinstance(value, str) or not re.fullmatch(r"[0-9+\- ]{9,15}", value):
        return [invalid(field, 'Not a valid phone number')]
    return []


def check_text_list(field: str, value: Any, *, max_items: int = 30, max_length: int = 100) -> list[FieldError]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > max_items:
        return [invalid(field, 'Must be a list of at most {max_items} texts', max_items=max_items)]
    for item in value:
        errors = check_text(field, item, max_length=max_length, optional=False)
        if errors:
            return errors
    return []


def check_reference(field: str, value: Any, *, optional: bool = False) -> list[FieldError]:
    """A reference travels as the referenced record's id; whether it exists is checked by the caller."""
    if value is None or value == "":
        return [] if optional else [required(field)]
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-fA-F-]{36}", value):
        return [invalid(field, 'Not a valid record id')]
    return []


def invalid_value(field: str) -> FieldError:
    return invalid(field, 'Not a valid value')
