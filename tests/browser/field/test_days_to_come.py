"""A training day dated after today has not been held: the phone's sheet says so above its rows and
refuses its marks before they reach the outbox, in the server's own words; once the office moves the
day's date, the marks go through. A survey dated after today is refused beside its date."""
import datetime as dt

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from server.core.dates import thai_today
from server.core.db import make_engine
from server.models import Attendance, Survey, TrainingSession
from server.program.rules import check_day_held
from server.synced.write import save_synced
from tests.browser.field.conftest import outbox, ready_to_work, status, wait_pending

pytestmark = pytest.mark.browser


def _move_day(db_url: str, session_id: str, date: dt.date) -> None:
    """The office moves a training day's date (a synced change the phone pulls)."""
    engine = make_engine(db_url)
    with Session(engine) as db:
        save_synced(db, db.get(TrainingSession, session_id), entity="session", values={"date": date}, user=None)
        db.commit()
    engine.dispose()


def test_a_day_still_to_come_refuses_its_marks_until_the_office_moves_it(field_world, server, phone_factory):
    village = field_world.villages["34140101"]
    day5, household_id = village.session_ids[4], village.household_ids[0]
    tomorrow = thai_today() + dt.timedelta(days=1)
    _move_day(field_world.db_url, day5, tomorrow)
    page = phone_factory("north").page
    ready_to_work(page, "north", [village.id])

    page.goto(f"/field/sessions/{day5}")
    words = check_day_held("session_id", tomorrow)[0].message_th
    notice = page.locator("[data-day-notice]")
    expect(notice).to_have_text(words)
    row = page.locator(f'[data-household-id="{household_id}"]')
    row.locator('[data-mark="present"]').click()
    expect(row.locator("[data-refused]")).to_have_text(words)
    expect(row.locator('[data-mark="present"]')).to_have_attribute("aria-pressed", "false")
    assert outbox(page) == [] and status(page)["pending"] == "0"

    _move_day(field_world.db_url, day5, thai_today())
    page.click('[data-action="sync-now"]')
    expect(notice).to_be_hidden()
    row.locator('[data-mark="present"]').click()
    expect(row.locator('[data-mark="present"]')).to_have_attribute("aria-pressed", "true")
    expect(row.locator("[data-refused]")).to_have_count(0)
    wait_pending(page, 0)
    engine = make_engine(field_world.db_url)
    with Session(engine) as db:
        marks = db.exec(select(Attendance).where(Attendance.session_id == day5)).all()
        assert [(a.household_id, a.present) for a in marks] == [(household_id, True)]
    engine.dispose()


def test_a_survey_dated_after_today_is_refused_beside_its_date(field_world, server, phone_factory):
    village = field_world.villages["34140102"]
    household_id = village.household_ids[0]
    page = phone_factory("east").page
    ready_to_work(page, "east", [village.id])

    page.goto(f"/field/households/{household_id}/surveys/baseline")
    expect(page.locator('input[name="surveyed_on"]')).to_have_value(thai_today().isoformat())
    page.fill('input[name="surveyed_on"]', (thai_today() + dt.timedelta(days=1)).isoformat())
    page.fill('input[name="annual_income"]', "36000")
    page.click('form [type="submit"]')
    message = page.locator('[data-error-for="surveyed_on"]')
    expect(message).to_have_text("วันที่นี้ยังมาไม่ถึง ลงวันที่ไม่เกินวันนี้")
    expect(page.locator("[data-saved]")).to_have_count(0)
    assert outbox(page) == []

    page.fill('input[name="surveyed_on"]', thai_today().isoformat())
    page.click('form [type="submit"]')
    expect(page.locator("[data-saved]")).to_be_visible()
    expect(message).to_be_hidden()
    wait_pending(page, 0)
    engine = make_engine(field_world.db_url)
    with Session(engine) as db:
        surveys = db.exec(select(Survey).where(Survey.household_id == household_id)).all()
        assert [(s.kind, s.surveyed_on, s.annual_income) for s in surveys] == [("baseline", thai_today(), 36_000)]
    engine.dispose()
