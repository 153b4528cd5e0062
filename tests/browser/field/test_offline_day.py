"""A day in a village with no signal: capture survives reloads and a closed browser, and reaches the
server exactly once, by itself, when the server answers again."""
import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from server.core.db import make_engine
from server.models import Attendance, Household, Survey
from tests.browser.field.conftest import ready_to_work, status, wait_pending
from tests.support.factories import valid_citizen_id

pytestmark = pytest.mark.browser


def test_a_day_captured_offline_reaches_the_server_once(field_world, server, phone_factory):
    north_a, north_b = field_world.villages["34140101"], field_world.villages["34140102"]
    phone = phone_factory("north")
    page = phone.page
    ready_to_work(page, "north", [north_a.id, north_b.id])
    expect(page.locator("[data-sync-status]")).to_have_attribute("data-state", "idle")

    server.stop()  # no signal from here on

    session_id = north_a.session_ids[0]
    page.goto(f"/field/sessions/{session_id}")
    rows = page.locator("[data-household-id]")
    expect(rows).to_have_count(len(north_a.household_ids))  # the withdrawn household is not a row
    absent_id = north_a.household_ids[2]
    for household_id in north_a.household_ids:
        mark = "absent" if household_id == absent_id else "present"
        button = page.locator(f'[data-household-id="{household_id}"] [data-mark="{mark}"]')
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
    # A tap on the mark already chosen queues nothing.
    page.locator(f'[data-household-id="{absent_id}"] [data-mark="absent"]').click()
    wait_pending(page, len(north_a.household_ids))
    expect(page.locator("[data-sync-status]")).to_have_attribute("data-state", "offline")

    surveyed = north_b.household_ids[0]
    page.goto(f"/field/households/{surveyed}/surveys/baseline")
    expect(page.locator('input[name="surveyed_on"]')).not_to_have_value("")
    page.fill('input[name="annual_income"]', "-5")
    page.click('button[type="submit"]')
    expect(page.locator("#e-annual_income")).to_have_text("ต้องไม่ติดลบ")  # checked before the outbox
    page.fill('input[name="annual_income"]', "36000")
    page.fill('input[name="trade_income_month"]', "1500")
    page.check('input[name="practising_trade"]')
    page.fill('textarea[name="note"]', "ขายขนมที่ตลาดเช้า")
    page.click('button[type="submit"]')
    expect(page.locator("[data-saved]")).to_be_visible()
    surveyed_on = page.locator('input[name="surveyed_on"]').input_value()

    page.goto(f"/field/villages/{north_b.id}/households/new")
    page.fill('input[name="house_no"]', "77/2")
    page.fill('input[name="head_name"]', "นางพบใหม่ ในหมู่บ้าน")
    page.fill('input[name="citizen_id"]', "1234567890123")
    page.fill('input[name="members"]', "4")
    page.fill('input[name="annual_income"]', "48000")
    page.click('button[type="submit"]')
    expect(page.locator("#e-citizen_id")).to_contain_text("เลขตรวจสอบ")
    page.fill('input[name="citizen_id"]', valid_citizen_id(7707))
    page.check('input[name="consent"]')
    page.click('button[type="submit"]')
    expect(page.locator("[data-saved]")).to_have_text("บันทึกในเครื่องแล้ว")
    pending = len(north_a.household_ids) + 2
    wait_pending(page, pending)

    page.reload()
    wait_pending(page, pending)
    phone.close()
    page = phone.open()
    page.goto(f"/field/sessions/{session_id}")
    for household_id in north_a.household_ids:
        mark = "absent" if household_id == absent_id else "present"
        expect(page.locator(f'[data-household-id="{household_id}"] [data-mark="{mark}"]')).to_have_attribute(
            "aria-pressed", "true")
    wait_pending(page, pending)
    page.goto("/field")
    expect(page.locator(f'[data-prepared-village="{north_b.id}"]')).to_contain_text("นางพบใหม่ ในหมู่บ้าน")
    page.goto(f"/field/households/{surveyed}")
    expect(page.locator('[data-survey-kind="baseline"]')).to_have_attribute("data-survey-done", "true")
    wait_pending(page, pending)

    phone.context.clear_cookies()  # a week later the browser sign-in is long gone: the device token is enough
    server.start()  # the signal is back: no tap, the phone sends by itself
    wait_pending(page, 0, timeout=60_000)
    assert status(page)["lastSync"]

    engine = make_engine(field_world.db_url)
    with Session(engine) as db:
        marks = db.exec(select(Attendance).where(Attendance.session_id == session_id)).all()
        assert sorted((a.household_id, a.present) for a in marks) == sorted(
            (h, h != absent_id) for h in north_a.household_ids)
        surveys = db.exec(select(Survey).where(Survey.household_id == surveyed)).all()
        assert [(s.kind, s.annual_income, s.trade_income_month, s.practising_trade, s.note, s.surveyed_on.isoformat())
                for s in surveys] == [("baseline", 36000, 1500, True, "ขายขนมที่ตลาดเช้า", surveyed_on)]
        found = db.exec(select(Household).where(Household.head_name == "นางพบใหม่ ในหมู่บ้าน")).all()
        assert [(h.village_id, h.house_no, h.citizen_id, h.members, h.annual_income, h.consent) for h in found] == [
            (north_b.id, "77/2", valid_citizen_id(7707), 4, 48000, True)]
    engine.dispose()
