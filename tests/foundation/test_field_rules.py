"""The phone's checks before saving: every shared case answered by the server's rules as the file says."""
import datetime as dt

import pytest

from server.core.dates import format_date, thai_today
from server.program.field_checks import is_valid_citizen_id, normalize_citizen_id
from tests.support.field_rules import FORMS, load_cases, server_errors, server_messages

CASES = load_cases()


@pytest.mark.parametrize("case", CASES["citizen_ids"], ids=lambda case: repr(case["text"]))
def test_citizen_ids_are_normalized_and_checked_as_the_file_says(case):
    assert normalize_citizen_id(case["text"]) == case["normalized"]
    assert is_valid_citizen_id(case["text"]) is case["valid"]


@pytest.mark.parametrize(("form", "case"), [(form, case) for form in FORMS for case in CASES[form]],
                         ids=lambda value: value if isinstance(value, str) else value["case"])
def test_the_server_refuses_exactly_the_fields_the_file_names(form, case):
    assert {error.field: error.code for error in server_errors(form, case)} == case["errors"]


def test_the_cases_reach_every_message_of_the_forms_in_both_languages():
    """Each distinct message is reached, so the browser run compares them all with rules.js's."""
    seen = {(form, locale): set() for form in FORMS for locale in ("th", "en")}
    for form in FORMS:
        for case in CASES[form]:
            for locale in ("th", "en"):
                seen[form, locale] |= set(server_messages(form, case, locale).values())
    assert {"จำเป็นต้องกรอก", "ต้องไม่ติดลบ", "ต้องไม่น้อยกว่า 1", "ต้องไม่เกิน 50", "ต้องไม่เกิน 100,000,000",
            "กรอกเป็นตัวเลข เช่น 36000", "เลขประจำตัวประชาชนต้องเป็นตัวเลข 13 หลัก",
            "เลขประจำตัวประชาชนไม่ถูกต้อง (เลขตรวจสอบหลักสุดท้ายไม่ตรง)", "ยาวเกิน 20 ตัวอักษร",
            "ยาวเกิน 120 ตัวอักษร", "ยาวเกิน 1000 ตัวอักษร", "มีอักขระที่ใช้ไม่ได้", "ต้องเป็นข้อความ",
            "เบอร์โทรศัพท์ไม่ถูกต้อง", "ต้องเป็นใช่หรือไม่ใช่", "รหัสอ้างอิงไม่ถูกต้อง"} <= seen["household", "th"]
    assert {"Not a valid date (YYYY-MM-DD)", "The year must be between 1900 and 2200", "Must not be negative",
            "Must be at most 100,000,000", "Type a whole number, e.g. 36000", "Must be true or false",
            "Longer than 1000 characters", "This field is required", "Not a valid record id",
            "Not one of: baseline, after_training, follow_up_3m, follow_up_6m, follow_up_12m",
            "This day has not come yet: use today or an earlier day"} <= seen["survey", "en"]
    assert "วันที่นี้ยังมาไม่ถึง ลงวันที่ไม่เกินวันนี้" in seen["survey", "th"]
    assert {"วันที่สำรวจต้องไม่ก่อน 1 ต.ค. 2567 (ต้นปีงบประมาณ 2568) ตรวจสอบวันที่และปี พ.ศ.",
            'กรอกรายได้ของครัวเรือน หรือเลือก "ไม่ทราบรายได้"',
            'กรอกรายได้ไว้แล้ว แต่เลือก "ไม่ทราบรายได้" ด้วย ให้เลือกอย่างใดอย่างหนึ่ง'} <= seen["survey", "th"]
    tomorrow = thai_today() + dt.timedelta(days=1)
    assert {f"วันอบรมนี้กำหนดไว้ {format_date(tomorrow, 'th')} ซึ่งยังมาไม่ถึง "
            "ขอให้สำนักงานแก้วันที่ของวันอบรมก่อน แล้วจึงส่งอีกครั้ง", "จำเป็นต้องกรอก", "รหัสอ้างอิงไม่ถูกต้อง",
            "ยาวเกิน 1000 ตัวอักษร"} <= seen["attendance", "th"]
    assert (f"This training day is dated {format_date(tomorrow, 'en')}, after today: "
            "ask the office to move the day's date, then send again") in seen["attendance", "en"]
