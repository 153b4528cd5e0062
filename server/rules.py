"""The program's rules, each in one place: used by the pages, the sync engine and the tests.

Validators return a list of `FieldError`s (empty when the data is good). Messages are kept in
both Thai and English so that an API answer carries both and a page shows the user's language.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from server.dates import format_date

TEAM_SIZE = 5  # one lead livelihood sage + 4 community trainers
TRAINING_DAYS = 5
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


# --- citizen ID -------------------------------------------------------------------------------

def citizen_id_check_digit(first12: str) -> int:
    """The 13th digit of a Thai citizen ID: (11 − Σ dᵢ·(14−i) mod 11) mod 10."""
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
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


# --- numbers ----------------------------------------------------------------------------------

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


# --- households -------------------------------------------------------------------------------

def income_per_person(annual_income: int | None, members: int | None) -> float | None:
    """Baht per person per year: the measure that ranks candidates, lowest first."""
    if annual_income is None or not members:
        return None
    return annual_income / members


def check_household(data: dict[str, Any], *, partial: bool = False, income_known: bool = True) -> list[FieldError]:
    """Field rules of a household; `partial` checks only the fields present (a sync upsert).

    The income is required from a page or an import (`income_known`). A phone may register a
    household before its survey: it leaves the income out, and the income is unknown (NULL, ranked
    after every known income), never 0. An income that is sent is a whole number ≥ 0, never empty.
    """
    errors: list[FieldError] = []

    def present(name: str) -> bool:
        return not partial or name in data

    if present("house_no"):
        errors += check_text("house_no", data.get("house_no"), max_length=20, optional=False)
    if present("head_name"):
        errors += check_text("head_name", data.get("head_name"), max_length=120, optional=False)
    if present("citizen_id"):
        errors += check_citizen_id("citizen_id", data.get("citizen_id"))
    if present("members"):
        errors += check_int("members", data.get("members"), minimum=1, maximum=50, optional=False)
    if "annual_income" in data or (income_known and not partial):
        errors += check_int("annual_income", data.get("annual_income"), optional=False)
    if present("phone"):
        errors += check_phone("phone", data.get("phone"))
    if present("consent"):
        errors += check_bool("consent", data.get("consent"))
    for name in ("note", "interest"):
        if name in data:
            errors += check_text(name, data.get(name), max_length=1000)
    return errors


def check_phone(field: str, value: Any) -> list[FieldError]:
    if value is None or value == "":
        return []
    if not isinstance(value, str) or not re.fullmatch(r"[0-9+\- ]{9,15}", value):
        return [invalid(field, "เบอร์โทรศัพท์ไม่ถูกต้อง", "Not a valid phone number")]
    return []


# --- trainings --------------------------------------------------------------------------------

def default_session_kind(day: int) -> str:
    """Days 1–3: knowledge and demonstration; day 4: study visit; day 5: practice at home."""
    if day <= 3:
        return "knowledge"
    return "study_visit" if day == 4 else "home_practice"


def fiscal_year_be(on: dt.date) -> int:
    """The Thai fiscal year runs 1 Oct – 30 Sep and is named by its BE year (Oct 2026 → 2570)."""
    return on.year + 543 + (1 if on.month >= 10 else 0)


# --- office: sages, trainer teams, target selection, groups, configuration -------------------

def check_sage(data: dict[str, Any]) -> list[FieldError]:
    """A sage in the registry: a name; citizen ID optional but valid when given; skills as short texts."""
    errors = check_text("name", data.get("name"), max_length=120, optional=False)
    errors += check_citizen_id("citizen_id", data.get("citizen_id"))
    errors += check_phone("phone", data.get("phone"))
    errors += check_text("found_by", data.get("found_by"), max_length=120)
    errors += check_text("note", data.get("note"), max_length=1000)
    skills = data.get("skills") or []
    if any(not isinstance(s, str) or len(s) > 100 for s in skills):
        errors.append(invalid("skills", "ความเชี่ยวชาญแต่ละรายการยาวได้ไม่เกิน 100 ตัวอักษร",
                              "Each skill may be at most 100 characters"))
    return errors


def check_team_lead(*, led_elsewhere: str | None, is_member: bool, same_village: bool,
                    note: str | None) -> list[FieldError]:
    """One lead livelihood sage per team; a sage leads at most one team in a fiscal year.

    `led_elsewhere` names the village whose team the sage already leads that year (None if none).
    """
    if led_elsewhere:
        return [invalid("lead_sage_id",
                        f"ปราชญ์ท่านนี้เป็นปราชญ์สัมมาชีพของทีม{led_elsewhere}ในปีงบประมาณนี้แล้ว "
                        "(นำได้เพียงหนึ่งทีมต่อปี)",
                        f"This sage already leads the team of {led_elsewhere} this fiscal year "
                        "(a sage leads one team a year)")]
    if is_member:
        return [invalid("lead_sage_id", "ปราชญ์ท่านนี้เป็นวิทยากรในทีมนี้อยู่แล้ว ให้นำออกจากรายชื่อวิทยากรก่อน",
                        "This sage is already a trainer on this team; remove them from the trainers first")]
    if not same_village and not (note and note.strip()):
        return [required_note("note")]
    return []


def required_note(field: str) -> FieldError:
    return FieldError(field, "required",
                      "ปราชญ์ท่านนี้อยู่นอกหมู่บ้าน ต้องบันทึกเหตุผลที่มาเป็นวิทยากรของหมู่บ้านนี้",
                      "This sage lives outside the village: note why they train here")


def check_team_member(*, members_now: int, already_on_team: bool, is_lead: bool, same_village: bool,
                      outside_note: str | None) -> list[FieldError]:
    """A trainer joining a team: 5 trainers in all (the lead and 4 more); outsiders need a note."""
    if is_lead or already_on_team:
        return [invalid("sage_id", "ปราชญ์ท่านนี้อยู่ในทีมนี้แล้ว", "This sage is already on this team")]
    if members_now + 1 >= TEAM_SIZE:
        return [invalid("sage_id",
                        f"ทีมมีวิทยากรครบ {TEAM_SIZE} คนแล้ว (ปราชญ์สัมมาชีพ 1 คนและวิทยากร {TEAM_SIZE - 1} คน) "
                        "ต้องนำวิทยากรออกก่อนจึงจะเพิ่มได้",
                        f"The team already has {TEAM_SIZE} trainers (the lead and {TEAM_SIZE - 1} more); "
                        "remove one before adding another")]
    if not same_village and not (outside_note and outside_note.strip()):
        return [required_note("outside_note")]
    return check_text("outside_note", outside_note, max_length=500)


def team_missing(*, has_lead: bool, members: int) -> tuple[bool, int]:
    """What a team still lacks: (the lead is missing, how many trainers besides the lead)."""
    return (not has_lead, max(0, TEAM_SIZE - 1 - members))


def rank_candidates(households: list[Any]) -> list[Any]:
    """Candidates for a training, lowest income per person first; an unknown income comes after
    every known one (a household not yet surveyed is never taken for the poorest)."""
    def key(h: Any) -> tuple:
        per_person = income_per_person(h.annual_income, h.members)
        return (per_person is None, per_person or 0, str(h.house_no))
    return sorted(households, key=key)


def poorest_left_out(left_out: Iterable[float | None]) -> float | None:
    """The lowest known income per person among the candidates left out (None: none is known)."""
    return min((v for v in left_out if v is not None), default=None)


def passes_over_poorer(per_person: float | None, poorest: float | None) -> bool:
    """Whether choosing a household (its income per person) leaves out a poorer one: it earns more than
    the poorest left out, or its income is unknown while a known one is left out. Ties need no reason."""
    if poorest is None:
        return False
    return per_person is None or per_person > poorest


def over_target(field: str, *, selected: int, limit: int) -> list[FieldError]:
    """At most `limit` households are selected for a training (the configured target per village)."""
    if selected <= limit:
        return []
    return [invalid(field, f"เลือกได้ไม่เกิน {limit} ครัวเรือน (เลือกไว้ {selected})",
                    f"Select at most {limit} households ({selected} selected)")]


def reason_required(field: str) -> FieldError:
    return FieldError(field, "required", "ครัวเรือนนี้มีรายได้ต่อคนสูงกว่าครัวเรือนที่ไม่ได้เลือก ต้องระบุเหตุผล",
                      "This household earns more per person than one left out: give a reason")


def check_selection(ranked: list[Any], selected_ids: set[str], reasons: dict[str, str], *,
                    limit: int) -> list[FieldError]:
    """A whole selection (the training page): at most `limit` households; a household chosen over a
    poorer one that is left out needs a written reason (field `reason_<household id>`)."""
    errors = over_target("selected", selected=len(selected_ids), limit=limit)
    poorest = poorest_left_out(income_per_person(h.annual_income, h.members)
                               for h in ranked if h.id not in selected_ids)
    for household in ranked:
        per_person = income_per_person(household.annual_income, household.members)
        if household.id not in selected_ids or not passes_over_poorer(per_person, poorest):
            continue
        if not (reasons.get(household.id) or "").strip():
            errors.append(reason_required(f"reason_{household.id}"))
    return errors


def check_enrollment_selection(per_person: float | None, *, left_out: Iterable[float | None], selected: int,
                               reason: str | None, limit: int) -> list[FieldError]:
    """One selected enrollment, judged as `check_selection` judges a whole selection: its training keeps
    to the target with it (`selected` counts it) and, choosing a household that earns `per_person`
    while households earning `left_out` are not selected, it carries a written reason where needed."""
    errors = over_target("status", selected=selected, limit=limit)
    if passes_over_poorer(per_person, poorest_left_out(left_out)) and not (reason or "").strip():
        errors.append(reason_required("reason"))
    return errors


def enrollment_outside_village(field: str) -> FieldError:
    return invalid(field, "ครัวเรือนนี้ไม่ได้อยู่ในหมู่บ้านของการฝึกอบรมนี้",
                   "This household is not in the village of this training")


def duplicate_citizen_id(field: str) -> FieldError:
    return invalid(field, "เลขประจำตัวประชาชนซ้ำ: ครัวเรือนนี้ลงทะเบียนไว้แล้ว",
                   "Duplicate citizen ID: this household is already registered.")


def citizen_id_checks_limited(field: str) -> FieldError:
    return invalid(field, "กรอกเลขประจำตัวประชาชนที่ลงทะเบียนไว้แล้วหลายครั้งเกินไป "
                          "โปรดเว้นช่องนี้ไว้แล้วลองใหม่ในหนึ่งชั่วโมง หรือติดต่อหัวหน้า",
                   "Too many citizen IDs that are already registered were entered: leave this field "
                   "empty and try again in an hour, or ask your supervisor.")


def check_group(data: dict[str, Any]) -> list[FieldError]:
    errors = check_text("name", data.get("name"), max_length=200, optional=False)
    errors += check_text("category", data.get("category"), max_length=32, optional=False)
    errors += check_phone("phone", data.get("phone"))
    errors += check_int("fund_balance", data.get("fund_balance"), optional=True)
    for name in ("rules", "activities", "note"):
        errors += check_text(name, data.get(name), max_length=4000)
    return errors


def check_poverty_line(from_year: Any, to_year: Any, amount: Any) -> list[FieldError]:
    errors = check_int("from_year", from_year, minimum=2400, maximum=2800, optional=False)
    errors += check_int("to_year", to_year, minimum=2400, maximum=2800, optional=False)
    errors += check_int("amount", amount, minimum=1, maximum=10_000_000, optional=False)
    if not errors and from_year > to_year:
        errors.append(invalid("to_year", "ปีสิ้นสุดต้องไม่ก่อนปีเริ่มต้น", "The last year must not be before the first"))
    return errors
# --- end of office rules


# --- sages, enrollments, attendance, surveys ----------------------------------------------------

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


def check_enrollment(data: dict[str, Any]) -> list[FieldError]:
    """A household selected for a training: both references, and a known status."""
    from server.models.program import ENROLLMENT_STATUSES

    errors = check_reference("training_id", data.get("training_id"))
    errors += check_reference("household_id", data.get("household_id"))
    errors += check_choice("status", data.get("status"), ENROLLMENT_STATUSES)
    errors += check_text("occupation", data.get("occupation"), max_length=32)
    errors += check_text("reason", data.get("reason"), max_length=1000)
    return errors


def check_attendance(data: dict[str, Any]) -> list[FieldError]:
    """A household's attendance on one day of a training."""
    errors = check_reference("session_id", data.get("session_id"))
    errors += check_reference("household_id", data.get("household_id"))
    errors += check_bool("present", data.get("present"), optional=False)
    errors += check_text("note", data.get("note"), max_length=1000)
    return errors


def check_survey(data: dict[str, Any]) -> list[FieldError]:
    """A baseline or follow-up income survey of a household."""
    from server.models.program import SURVEY_KINDS

    errors = check_reference("household_id", data.get("household_id"))
    errors += check_choice("kind", data.get("kind"), SURVEY_KINDS)
    errors += check_date("surveyed_on", data.get("surveyed_on"))
    errors += check_int("annual_income", data.get("annual_income"))
    errors += check_int("trade_income_month", data.get("trade_income_month"))
    errors += check_bool("practising_trade", data.get("practising_trade"))
    errors += check_text("note", data.get("note"), max_length=1000)
    return errors


# --- sync answers -------------------------------------------------------------------------------
# The reasons a pushed op is turned away (SYNC.md, Push); the phone shows them to the officer.

def unknown_entity(field: str) -> FieldError:
    return FieldError(field, "unknown_entity", "ไม่รู้จักชนิดข้อมูลนี้", "Unknown kind of record")


def unknown_field(field: str) -> FieldError:
    return FieldError(field, "invalid", "ไม่รู้จักช่องข้อมูลนี้", "Unknown field")


def unknown_reference(field: str) -> FieldError:
    return FieldError(field, "unknown_reference", "ไม่พบข้อมูลที่อ้างถึง",
                      "The record this refers to does not exist")


def forbidden(field: str) -> FieldError:
    return FieldError(field, "forbidden", "อยู่นอกพื้นที่ที่ท่านรับผิดชอบ", "Outside your area")


def deleted(field: str) -> FieldError:
    return FieldError(field, "deleted", "ข้อมูลนี้ถูกลบแล้ว", "This record has been deleted")


def not_found(field: str) -> FieldError:
    return FieldError(field, "not_found", "ไม่พบข้อมูลนี้บนเซิร์ฟเวอร์", "This record is not on the server")


def immutable(field: str) -> FieldError:
    return FieldError(field, "invalid", "เปลี่ยนค่านี้ไม่ได้หลังบันทึกแล้ว",
                      "This cannot be changed once recorded")


def op_id_taken(field: str) -> FieldError:
    """An op_id already used by another user's device, or for another op (other content)."""
    return FieldError(field, "invalid", "รหัสรายการนี้ถูกใช้กับรายการอื่นแล้ว ให้ส่งใหม่ด้วยรหัสใหม่",
                      "This op_id was already used for another op; send the op again with a new op_id")


def invalid_value(field: str) -> FieldError:
    return invalid(field, "ค่าไม่ถูกต้อง", "Not a valid value")


# --- trainer teams: one team a year -------------------------------------------------------------

def check_one_team_a_year(field: str, *, serves_elsewhere: str | None) -> list[FieldError]:
    """A sage serves on one village's team in a fiscal year, as its lead or as a trainer.

    `serves_elsewhere` names the village whose team the sage is already on that year (None if none).
    """
    if not serves_elsewhere:
        return []
    return [invalid(field,
                    f"ปราชญ์ท่านนี้อยู่ในทีมวิทยากรของ{serves_elsewhere}ในปีงบประมาณนี้แล้ว "
                    "(ปราชญ์หนึ่งท่านอยู่ได้หนึ่งทีมต่อปี) ให้นำออกจากทีมนั้นก่อน",
                    f"This sage is already on the team of {serves_elsewhere} this fiscal year "
                    "(a sage serves on one team a year); remove them from that team first")]


# --- dates against their year and today ---------------------------------------------------------
# Assessments, surveys and attendance record what has happened: never a day still to come. A training's
# days lie in its fiscal year; a day that slips past the year's end is allowed (schedules move, and the
# department does not box activities in by budget deadlines) but flagged; one before the year begins,
# or more than a year after it, is a typing slip.

THAI_TIME = dt.timezone(dt.timedelta(hours=7))


def thai_today() -> dt.date:
    """Today's date in Thailand, where the offices and phones are, whatever the server's clock zone."""
    return dt.datetime.now(THAI_TIME).date()


def fiscal_year_span(fiscal_year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a fiscal year named in the Buddhist Era (2570: 1 Oct 2026 – 30 Sep 2027)."""
    year = fiscal_year - 543
    return dt.date(year - 1, 10, 1), dt.date(year, 9, 30)


def check_not_future(field: str, value: dt.date | None, *, today: dt.date | None = None) -> list[FieldError]:
    if value is None or value <= (today or thai_today()):
        return []
    return [invalid(field, "วันที่นี้ยังมาไม่ถึง ลงวันที่ไม่เกินวันนี้", "This day has not come yet: use today or an earlier day")]


def check_day_held(field: str, value: dt.date | None, *, today: dt.date | None = None) -> list[FieldError]:
    """Attendance is taken on a training day that has come: one dated after today is refused, with what
    to do (the office moves the day's date; the phone then sends the mark again)."""
    if value is None or value <= (today or thai_today()):
        return []
    return [invalid(field, f"วันอบรมนี้กำหนดไว้ {format_date(value, 'th')} ซึ่งยังมาไม่ถึง "
                           "ขอให้สำนักงานแก้วันที่ของวันอบรมก่อน แล้วจึงส่งอีกครั้ง",
                    f"This training day is dated {format_date(value, 'en')}, after today: "
                    "ask the office to move the day's date, then send again")]


def marked_day_moved_ahead(field: str) -> FieldError:
    return invalid(field, "วันอบรมนี้มีการลงเวลาแล้ว ย้ายไปหลังวันนี้ไม่ได้ เลือกวันนี้หรือวันก่อนหน้า",
                   "Attendance is already recorded for this day: it cannot move after today; "
                   "choose today or an earlier day")


def check_training_day(field: str, value: dt.date | None, fiscal_year: int | None) -> list[FieldError]:
    """A training day before its fiscal year begins, or past the end of the year after, is refused."""
    if value is None or fiscal_year is None:
        return []
    first, last = fiscal_year_span(fiscal_year)
    if value < first:
        return [invalid(field, f"อยู่ก่อนปีงบประมาณ {fiscal_year} ซึ่งเริ่ม 1 ต.ค. {fiscal_year - 1}",
                        f"Before fiscal year {fiscal_year}, which starts on 1 Oct {fiscal_year - 1} BE")]
    if value > fiscal_year_span(fiscal_year + 1)[1]:
        return [invalid(field, f"อยู่หลังปีงบประมาณ {fiscal_year} เกินหนึ่งปี ตรวจสอบปี พ.ศ.",
                        f"More than a year after fiscal year {fiscal_year}: check the year")]
    return []


def after_fiscal_year(value: dt.date | None, fiscal_year: int) -> bool:
    """A training day after its fiscal year's end: allowed, with a warning."""
    return value is not None and value > fiscal_year_span(fiscal_year)[1]
