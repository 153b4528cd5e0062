"""What the phone tells its officer, in words, on a 360 px screen in Thai: a survey that is not a survey
is refused before it reaches the outbox; a conflict a supervisor settled is told on the losing phone
(outbox and household page) with the value kept; every outbox row names the household and the day;
the field pages show no stray `null`, mark the current page, fit their header, keep dates whole, and
let the officer search a village's households and register a new one without scrolling."""
import json
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from server.core.db import make_engine
from server.models import Conflict, User
from server.review.conflicts import resolve
from server.program.rules import thai_today
from sync.changes import current_seq
from tests.browser.field.conftest import PHONE, outbox, ready_to_work, wait_pending
from tests.support.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser

THAI_MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]


def _be(day) -> str:
    return f"{day.day} {THAI_MONTHS[day.month - 1]} {day.year + 543}"


def _api(base_url: str, path: str, body: dict, token: str | None = None) -> dict:
    request = urllib.request.Request(f"{base_url}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_a_survey_without_its_date_or_income_is_refused_on_the_phone(field_world, server, phone_factory):
    village = field_world.villages["34140201"]
    household_id = village.household_ids[0]
    page = phone_factory("south-survey").page
    ready_to_work(page, "south", [village.id])

    server.stop()
    page.goto(f"/field/households/{household_id}/surveys/baseline")
    expect(page.locator('input[name="surveyed_on"]')).to_have_value(thai_today().isoformat())
    page.fill('input[name="surveyed_on"]', "")
    page.click('form [type="submit"]')
    expect(page.locator("#e-surveyed_on")).to_have_text("จำเป็นต้องกรอก")
    expect(page.locator("#e-annual_income")).to_contain_text("ไม่ทราบรายได้")
    assert outbox(page) == []

    page.fill('input[name="surveyed_on"]', "2001-11-24")  # 2544: a slip in the year
    page.check('input[name="income_unknown"]')
    page.click('form [type="submit"]')
    expect(page.locator("#e-surveyed_on")).to_contain_text("วันที่สำรวจต้องไม่ก่อน")
    assert outbox(page) == []

    page.fill('input[name="surveyed_on"]', thai_today().isoformat())
    page.fill('input[name="savings"]', "2000")
    page.click('form [type="submit"]')
    expect(page.locator("[data-saved]")).to_be_visible()
    (op,) = outbox(page)
    assert (op["fields"]["income_unknown"], op["fields"]["savings"], op["fields"]["surveyed_on"]) == (
        True, 2000, thai_today().isoformat())

    page.goto(f"/field/households/{household_id}")
    done = page.locator('[data-survey-kind="baseline"]')
    expect(done).to_have_attribute("data-survey-done", "true")
    expect(done.locator(".survey-state")).to_contain_text(_be(thai_today()))
    # The status is a line of its own below the survey's name.
    name_bottom, state_top = done.evaluate("""li => [li.querySelector('.survey-name').getBoundingClientRect().bottom,
                                                     li.querySelector('.survey-state').getBoundingClientRect().top]""")
    assert state_top >= name_bottom - 1
    server.start()


def test_a_settled_conflict_is_told_in_words_on_the_phone_that_lost(field_world, server, phone_factory):
    village = field_world.villages["34140102"]
    session_id, household_id = village.session_ids[1], village.household_ids[1]
    engine = make_engine(field_world.db_url)
    boss_name = f"boss-{uuid.uuid4().hex[:4]}"
    with Session(engine) as db:
        make_user(db, username=boss_name, role="supervisor", district_code="3414")
    page = phone_factory("north-loses").page
    ready_to_work(page, "north", [village.id])

    server.stop()
    page.goto(f"/field/sessions/{session_id}")
    page.locator(f'[data-household-id="{household_id}"] [data-mark="present"]').click()
    wait_pending(page, 1)
    server.start()
    # Meanwhile another officer's phone sent "absent" for the same household and day: it is kept.
    token = _api(server.base_url, "/api/auth/token",
                 {"username": "north2", "password": DEFAULT_PASSWORD, "device_name": "other phone"})["token"]
    _api(server.base_url, "/api/sync/push", {"schema": 1, "ops": [{
        "op_id": str(uuid.uuid4()), "entity": "attendance", "id": str(uuid.uuid4()), "action": "upsert",
        "base_seq": None, "captured_at": "2026-11-24T09:15:00+07:00",
        "fields": {"session_id": session_id, "household_id": household_id, "present": False}}]}, token)

    page.click('[data-action="sync-now"]')
    wait_pending(page, 0, timeout=60_000)
    page.goto("/field/outbox")
    waiting = page.locator('[data-conflict-state="open"]')
    expect(waiting).to_contain_text("หัวหน้าจะเป็นผู้ตัดสิน")

    with Session(engine) as db:
        conflict = db.exec(select(Conflict).where(Conflict.status == "open", Conflict.field == "present")).one()
        boss = db.exec(select(User).where(User.username == boss_name)).one()
        resolve(db, boss, conflict.id, choice="kept", typed=None, as_of=current_seq(db))
        db.commit()
    engine.dispose()

    page.click('[data-action="sync-now"]')
    settled = page.locator('[data-conflict-state="resolved"]')
    expect(settled).to_be_visible(timeout=60_000)
    expect(settled).to_contain_text("หัวหน้าตัดสินการเข้าอบรมแล้ว: ใช้ ไม่มา")
    expect(settled).to_contain_text("ค่าที่ท่านส่งคือ มา")
    expect(settled).to_contain_text("บ้านเลขที่ 2/2 นางทดลอง บ้าน02-2")
    expect(settled).to_contain_text("วันที่ 2")
    assert "present" not in settled.inner_text() and "รอหัวหน้า" not in settled.inner_text()

    page.goto(f"/field/households/{household_id}")
    told = page.locator('[data-decided] [data-conflict-state="resolved"]')
    expect(told).to_contain_text("หัวหน้าตัดสินการเข้าอบรมแล้ว: ใช้ ไม่มา")
    expect(told).to_contain_text("วันที่ 2")


def test_the_field_pages_speak_words_and_fit_a_small_phone(field_world, server, phone_factory):
    village = field_world.villages["34140101"]
    session_id, household_id = village.session_ids[0], village.household_ids[0]
    phone = phone_factory("north-words")
    page = phone.page
    ready_to_work(page, "north", [village.id])

    # The village's households: a search box and "register a household" without scrolling.
    page.goto("/field")
    register = page.locator(f'[data-prepared-village="{village.id}"] [data-action="new-household"]')
    expect(register).to_be_visible()
    # (read in one step: a sync may draw the list again between two reads)
    assert register.evaluate("e => e.getBoundingClientRect().bottom") <= PHONE["height"]
    search = page.locator(f'[data-household-search="{village.id}"]')
    search.fill("นางทดลอง บ้าน01-3")
    rows = page.locator(f'[data-household-list="{village.id}"] li:visible')
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("3/1")
    # A sync draws the list again while the officer types: what was typed stays, and so does the caret.
    drawn = page.locator(f'[data-household-list="{village.id}"]').element_handle()
    search.fill("นางทดลอง")
    page.evaluate("async () => (await import('/static/js/sync.js')).announce({type: 'data'})")
    page.wait_for_function("list => !list.isConnected", arg=drawn)
    page.keyboard.type(" บ้าน01-2")
    expect(search).to_have_value("นางทดลอง บ้าน01-2")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("2/1")
    expect(page.locator('nav.mainnav a[aria-current="page"]')).to_have_attribute("href", "/field")

    server.stop()
    page.goto(f"/field/sessions/{session_id}")
    page.locator(f'[data-household-id="{household_id}"] [data-mark="absent"]').click()
    wait_pending(page, 1)
    page.click('[data-action="sync-now"]')
    # The network is up, the server is not: the bar says which.
    expect(page.locator("[data-sync-status]")).to_have_attribute("data-state", "offline")
    expect(page.locator("[data-sync-text]")).to_contain_text("เซิร์ฟเวอร์ไม่ตอบ")
    phone.context.set_offline(True)
    page.click('[data-action="sync-now"]')
    expect(page.locator("[data-sync-text]")).to_contain_text("ไม่มีสัญญาณ")
    phone.context.set_offline(False)

    page.goto("/field/outbox")
    row = page.locator("[data-pending-op]")
    expect(row).to_contain_text("บ้านเลขที่ 1/1 นางทดลอง บ้าน01-1")
    expect(row).to_contain_text("การเข้าอบรม: ไม่มา")
    expect(row).to_contain_text("วันที่ 1")
    expect(page.locator('nav.mainnav a[aria-current="page"]')).to_have_attribute("href", "/field/outbox")
    page.screenshot(path=str(phone.profile.parent / "outbox-360.png"), full_page=True)

    for path in ("/field/outbox", f"/field/households/{household_id}", "/field", f"/field/sessions/{session_id}"):
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        page.wait_for_timeout(300)  # the page draws from IndexedDB after its shell
        text = page.locator("body").inner_text()
        assert "null" not in text and "undefined" not in text, (path, text)
        # Every link of the header lies within the 360 px screen.
        edges = page.eval_on_selector_all("header.topbar a, header.topbar button",
                                          "els => els.map(e => e.getBoundingClientRect().right)")
        assert max(edges) <= PHONE["width"], (path, edges)
        # A date or a name kept whole is one line box (Thai would otherwise break inside it).
        broken = page.eval_on_selector_all(".nowrap", "els => els.filter(e => e.getClientRects().length > 1).length")
        assert broken == 0, path
    page.screenshot(path=str(phone.profile.parent / "session-360.png"), full_page=True)
    server.start()
