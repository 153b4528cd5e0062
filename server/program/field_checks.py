"""Checks of single fields, the same for every way a record comes in: numbers, text, dates, choices, citizen IDs."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from server.core.numbers import THAI_DIGITS

MAX_INCOME = 100_000_000  # baht per year; anything above is a typing error, not a household


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str  # invalid | required | unknown_reference | forbidden | deleted | unknown_entity ...
    message_th: str
    message_en: str

    def message(self, locale: str) -> str:
        return self.message_en if locale == "en" else self.message_th

    def as_api(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code,
                "message": f"{self.message_th} / {self.message_en}",
                "message_th": self.message_th, "message_en": self.message_en}


def required(field: str) -> FieldError:
    return FieldError(field, "required", "จำเป็นต้องกรอก", "This field is required")


def invalid(field: str, th: str, en: str) -> FieldError:
    return FieldError(field, "invalid", th, en)


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
        return [invalid(field, "เลขประจำตัวประชาชนต้องเป็นตัวเลข 13 หลัก",
                        "The citizen ID must be 13 digits")]
    if _THIRTEEN_DIGITS.fullmatch(value) is None:
        return [invalid(field, "เลขประจำตัวประชาชนต้องเป็นตัวเลข 13 หลัก",
                        "The citizen ID must be 13 digits")]
    if not is_valid_citizen_id(value):
        return [invalid(field, "เลขประจำตัวประชาชนไม่ถูกต้อง (เลขตรวจสอบหลักสุดท้ายไม่ตรง)",
                        "The citizen ID is not valid (its check digit does not match)")]
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
        return [invalid(field, "กรอกเป็นตัวเลข เช่น 36000", "Type a whole number, e.g. 36000")]
    if value < minimum:
        if minimum == 0:
            return [invalid(field, "ต้องไม่ติดลบ", "Must not be negative")]
        return [invalid(field, f"ต้องไม่น้อยกว่า {minimum}", f"Must be at least {minimum}")]
    if value > maximum:
        return [invalid(field, f"ต้องไม่เกิน {maximum:,}", f"Must be at most {maximum:,}")]
    return []


def check_text(field: str, value: Any, *, max_length: int = 200, optional: bool = True) -> list[FieldError]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return [] if optional else [required(field)]
    if not isinstance(value, str):
        return [invalid(field, "ต้องเป็นข้อความ", "Must be text")]
    if "\x00" in value:
        return [invalid(field, "มีอักขระที่ใช้ไม่ได้", "Contains a character that is not allowed")]
    if len(value) > max_length:
        return [invalid(field, f"ยาวเกิน {max_length} ตัวอักษร", f"Longer than {max_length} characters")]
    return []


def check_bool(field: str, value: Any, *, optional: bool = True) -> list[FieldError]:
    if value is None:
        return [] if optional else [required(field)]
    if not isinstance(value, bool):
        return [invalid(field, "ต้องเป็นใช่หรือไม่ใช่", "Must be true or false")]
    return []


def check_choice(field: str, value: Any, choices: tuple[str, ...], *, optional: bool = False) -> list[FieldError]:
    if value is None:
        return [] if optional else [required(field)]
    if value not in choices:
        return [invalid(field, "ค่าที่เลือกไม่ถูกต้อง: " + ", ".join(choices),
                        "Not one of: " + ", ".join(choices))]
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
        return [invalid(field, "วันที่ไม่ถูกต้อง (ปปปป-ดด-วว)", "Not a valid date (YYYY-MM-DD)")]
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        return [invalid(field, f"ปีต้องอยู่ระหว่าง ค.ศ. {MIN_YEAR} ถึง {MAX_YEAR}",
                        f"The year must be between {MIN_YEAR} and {MAX_YEAR}")]
    return []


def check_phone(field: str, value: Any) -> list[FieldError]:
    if value is None or value == "":
        return []
    if not isinstance(value, str) or not re.fullmatch(r"[0-9+\- ]{9,15}", value):
        return [invalid(field, "เบอร์โทรศัพท์ไม่ถูกต้อง", "Not a valid phone number")]
    return []


def check_text_list(field: str, value: Any, *, max_items: int = 30, max_length: int = 100) -> list[FieldError]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > max_items:
        return [invalid(field, f"ต้องเป็นรายการข้อความไม่เกิน {max_items} รายการ",
                        f"Must be a list of at most {max_items} texts")]
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
        return [invalid(field, "รหัสอ้างอิงไม่ถูกต้อง", "Not a valid record id")]
    return []


def invalid_value(field: str) -> FieldError:
    return invalid(field, "ค่าไม่ถูกต้อง", "Not a valid value")
