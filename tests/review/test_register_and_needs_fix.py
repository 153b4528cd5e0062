"""Who came on which day (the attendance register), and "needs fix" from the pages that show a record:
the household (its surveys and enrollments), a training day's marks, the sage."""
from __future__ import annotations

import datetime as dt
import re

from sqlmodel import Session

from server.models import Attendance
from server.program.rules import thai_today
from tests.review.conftest import post
from tests.sync.helpers import op, pull_all, push_ok, sign_in


def _cells(page: str, household_id: str) -> dict[str, str]:
    row = re.search(rf'<tr data-household-id="{household_id}">(.*?)</tr>', page, re.S).group(1)
    return {day: mark for day, mark in re.findall(r'data-cell="(\d)" data-mark="(\w+)"', row)}


def test_the_register_shows_each_households_marks_notes_phones_and_late_corrections(client, area, office, engine):
    homes = area.households
    first, second = sign_in(client, "somchai", "สมชาย Galaxy"), sign_in(client, "somchai", "สมชาย Redmi")
    day1, day2 = area.sessions[0].id, area.sessions[1].id
    push_ok(client, first, [op("enrollment", fields={"training_id": area.training.id, "household_id": h.id})
                            for h in homes])
    marks = push_ok(client, first, [
        op("attendance", fields={"session_id": day1, "household_id": homes[0].id, "present": True}),
        op("attendance", fields={"session_id": day1, "household_id": homes[1].id, "present": False,
                                 "note": "ป่วย ไปโรงพยาบาล"}),
    ])
    push_ok(client, second, [op("attendance", fields={"session_id": day2, "household_id": homes[0].id, "present": True})])
    # Household 1's mark of day 1 was first stored on the day and corrected today.
    with Session(engine) as db:
        mark = db.get(Attendance, marks[1]["id"])
        mark.created_at = mark.updated_at = dt.datetime.combine(area.sessions[0].date, dt.time(3), dt.timezone.utc)
        db.add(mark)
        db.commit()
    push_ok(client, second, [op("attendance", marks[1]["id"], {"present": True, "note": "มาช่วงบ่าย"},
                                base_seq=marks[1]["seq"])])

    boss = office("boss")
    page = boss.get(f"/trainings/{area.training.id}/register").text
    assert _cells(page, homes[0].id) == {"1": "present", "2": "present", "3": "none", "4": "none", "5": "none"}
    assert _cells(page, homes[1].id) == {"1": "present", "2": "none", "3": "none", "4": "none", "5": "none"}
    assert _cells(page, homes[2].id) == {str(d): "none" for d in range(1, 6)}
    assert re.search(rf'<tr data-household-id="{homes[1].id}">\s*<th[^>]*>.*?</th>\s*<td data-cell="1" '
                     r'data-mark="present" data-late>', page, re.S)
    assert "มาช่วงบ่าย" in page and 'data-present="1">2 / 3' in page
    phones = re.search(r"<ul class=\"plain\" data-phones>(.*?)</ul>", page, re.S).group(1)
    assert "สมชาย Galaxy" in phones and "สมชาย Redmi" in phones
    assert f'/print/sessions/{day1}"' in page
    assert f"/trainings/{area.training.id}/register" in boss.get(f"/print/sessions/{day1}").text

    day = boss.get(f"/trainings/{area.training.id}/register/1").text
    row = re.search(rf'<tr data-household-id="{homes[1].id}"(.*?)</tr>', day, re.S).group(1)
    assert "สมชาย Redmi" in row and "ผู้ทดสอบ somchai" in row and "data-late" in row
    assert f'action="/review/records/attendance/{marks[1]["id"]}/tasks"' in row


def test_needs_fix_is_sent_from_the_household_the_training_day_and_the_sage_and_reaches_the_phone(
        client, area, office):
    home = area.households[0]
    phone = sign_in(client, "somchai", "phone")
    sage = push_ok(client, phone, [op("sage", fields={"village_id": area.villages[0].id, "name": "นายปราชญ์"})])[0]
    enrollment, mark, survey = push_ok(client, phone, [
        op("enrollment", fields={"training_id": area.training.id, "household_id": home.id}),
        op("attendance", fields={"session_id": area.sessions[0].id, "household_id": home.id, "present": True}),
        op("survey", fields={"household_id": home.id, "kind": "baseline", "surveyed_on": thai_today().isoformat(),
                             "annual_income": 400_000}),
    ])
    _, cursor = pull_all(client, phone)
    boss = office("boss")
    household_page = boss.get(f"/households/{home.id}/edit").text
    for entity, record_id in (("household", home.id), ("survey", survey["id"]), ("enrollment", enrollment["id"])):
        assert f'action="/review/records/{entity}/{record_id}/tasks"' in household_page
    assert "400,000" in household_page

    sent = [
        (f"/households/{home.id}/edit", "survey", survey["id"], "รายได้ 400,000 สูงเกินจริง"),
        (f"/households/{home.id}/edit", "enrollment", enrollment["id"], "ครัวเรือนนี้ถอนตัวแล้วหรือไม่"),
        (f"/trainings/{area.training.id}/register/1", "attendance", mark["id"], "วันแรกมาจริงหรือ"),
        (f"/sages/{sage['id']}/edit", "sage", sage["id"], "เบอร์โทรหาย"),
    ]
    for back, entity, record_id, note in sent:
        answer = post(boss, f"/review/records/{entity}/{record_id}/tasks", {"note": note, "back": back},
                      follow_redirects=False)
        assert answer.status_code in (302, 303) and answer.headers["location"].startswith(back)
        shown = boss.get(back).text
        box = re.search(rf'data-needs-fix="{entity}:{record_id}">(.*?)</details>', shown, re.S).group(1)
        assert note in box and 'data-task-status="open"' in box

    changes, _ = pull_all(client, phone, cursor)
    pulled = {(c["fields"]["record_entity"], c["fields"]["note"]) for c in changes if c["entity"] == "review_task"}
    assert pulled == {(entity, note) for _back, entity, _id, note in sent}
    # A path of another site is not followed back.
    away = post(boss, f"/review/records/household/{home.id}/tasks", {"note": "x", "back": "//evil.example/"},
                follow_redirects=False)
    assert away.headers["location"].startswith(f"/review/records/household/{home.id}")
