"""Updates never cost a capture: a new app version waits for the officer while ops are pending or a
form holds unsaved input (never a reload under their fingers), a
revoked phone stops syncing but keeps its outbox, and an IndexedDB upgrade carries old ops over."""
import datetime as dt
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from server.core.db import make_engine
from server.models import Attendance, Device, User
from tests.browser.field.conftest import (
    outbox,
    prepare,
    ready_to_work,
    sign_in,
    wait_for_worker,
    wait_pending,
)

pytestmark = pytest.mark.browser


def _app_version(page) -> str:
    return page.locator('meta[name="app-version"]').get_attribute("content")


def _revoke_devices_of(db_url: str, username: str) -> None:
    engine = make_engine(db_url)
    with Session(engine) as db:
        user = db.exec(select(User).where(User.username == username)).one()
        for device in db.exec(select(Device).where(Device.user_id == user.id)).all():
            device.revoked_at = dt.datetime.now(dt.timezone.utc)
            db.add(device)
        db.commit()
    engine.dispose()


def _marks(db_url: str, session_id: str) -> list[tuple[str, bool]]:
    engine = make_engine(db_url)
    with Session(engine) as db:
        rows = db.exec(select(Attendance).where(Attendance.session_id == session_id)).all()
        marks = sorted((a.household_id, a.present) for a in rows)
    engine.dispose()
    return marks


def test_a_new_version_and_a_revoked_phone_keep_the_pending_ops(field_world, server, phone_factory):
    village = field_world.villages["34140201"]
    session_id = village.session_ids[1]
    page = phone_factory("south").page
    sign_in(page, "south")
    prepare(page, [village.id])
    first_cache = wait_for_worker(page)
    page.goto(f"/field/sessions/{session_id}")
    old_version = _app_version(page)

    server.stop()
    marked = village.household_ids[:2]
    for household_id in marked:
        button = page.locator(f'[data-household-id="{household_id}"] [data-mark="present"]')
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
    wait_pending(page, 2)

    # While the phone was away the office revoked it, and a new version of the app was released.
    _revoke_devices_of(field_world.db_url, "south")
    server.start(SAMMACHIP_APP_VERSION="next")
    page.reload()
    status = page.locator("[data-sync-status]")
    expect(status).to_have_attribute("data-state", "error", timeout=30_000)
    expect(page.locator("[data-sync-notice]")).to_contain_text("สำนักงานได้ยกเลิกการเชื่อมต่อของเครื่องนี้")
    wait_pending(page, 2)

    # The new version waits for the officer (ops are pending), then takes over without losing them.
    update = page.locator('[data-action="update-app"]')
    expect(update).to_be_visible(timeout=30_000)
    with page.expect_event("load"):
        update.click()
    expect(page.locator('meta[name="app-version"]')).to_have_attribute("content", f"{old_version}-next")
    assert wait_for_worker(page) != first_cache  # the old cache went when the new worker activated
    wait_pending(page, 2)
    for household_id in marked:
        expect(page.locator(f'[data-household-id="{household_id}"] [data-mark="present"]')).to_have_attribute(
            "aria-pressed", "true")
    assert _marks(field_world.db_url, session_id) == []

    # Signing in again gives the phone a new token; the kept ops go out, once.
    page.click('[data-action="sign-in-again"]')
    expect(page).to_have_url(f"{server.base_url}/login")
    sign_in(page, "south")
    page.goto(f"/field/sessions/{session_id}")
    wait_pending(page, 0, timeout=60_000)
    expect(status).to_have_attribute("data-state", "idle")
    assert _marks(field_world.db_url, session_id) == sorted((h, True) for h in marked)

    # With nothing pending, the next version takes over by itself.
    server.stop()
    server.start(SAMMACHIP_APP_VERSION="after")
    page.reload()
    expect(page.locator('meta[name="app-version"]')).to_have_attribute("content", f"{old_version}-after",
                                                                        timeout=30_000)
    expect(page.locator('[data-action="update-app"]')).to_be_hidden()
    wait_pending(page, 0)


OLD_LAYOUT = """async ([op]) => {
    // The app's first database layout: version 1, each op nested in an outbox entry.
    const db = await new Promise((resolve, reject) => {
        const req = indexedDB.open("sammachip", 1);
        req.onupgradeneeded = () => {
            const records = req.result.createObjectStore("records", {keyPath: "key"});
            records.createIndex("entity", "entity");
            req.result.createObjectStore("outbox", {keyPath: "op_id"});
            req.result.createObjectStore("meta", {keyPath: "key"});
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
    });
    await new Promise((resolve, reject) => {
        const tx = db.transaction("outbox", "readwrite");
        tx.objectStore("outbox").put({op_id: op.op_id, op: op, state: "queued", created: op.captured_at});
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
    });
    db.close();
}"""


def test_an_upgraded_phone_database_keeps_the_outbox(field_world, server, phone_factory):
    village = field_world.villages["34140102"]
    session_id, household_id = village.session_ids[3], village.household_ids[1]
    page = phone_factory("upgraded").page
    page.goto("/healthz")  # the origin, before any page of the app has opened the database
    op = {"op_id": str(uuid.uuid4()), "entity": "attendance", "id": str(uuid.uuid4()), "action": "upsert",
          "base_seq": None, "captured_at": "2026-12-04T09:15:00+07:00",
          "fields": {"session_id": session_id, "household_id": household_id, "present": True, "note": "มาสาย"}}
    page.evaluate(OLD_LAYOUT, [op])

    sign_in(page, "north")
    page.goto("/field/outbox")
    expect(page.locator("h1")).to_be_visible()
    wait_pending(page, 0, timeout=60_000)
    assert page.evaluate("""async () => (await indexedDB.databases()).find(d => d.name === "sammachip").version""") == 2
    engine = make_engine(field_world.db_url)
    with Session(engine) as db:
        rows = db.exec(select(Attendance).where(Attendance.session_id == session_id)).all()
        assert [(a.id, a.household_id, a.present, a.note) for a in rows] == [(op["id"], household_id, True, "มาสาย")]
    engine.dispose()


def _roll_out(server, page, version: str, *, offline_after: bool = False) -> None:
    """A new version on the server, found by the phone's next update check (as the browser's own)."""
    server.stop()
    server.start(SAMMACHIP_APP_VERSION=version)
    page.evaluate("async () => (await navigator.serviceWorker.getRegistration('/')).update()")
    expect(page.locator('[data-action="update-app"]')).to_be_visible(timeout=30_000)
    if offline_after:
        server.stop()


def test_an_update_waits_for_what_the_officer_is_typing(field_world, server, phone_factory):
    village = field_world.villages["34140202"]
    session_id, household_id = village.session_ids[0], village.household_ids[0]
    page = phone_factory("typing").page
    ready_to_work(page, "south", [village.id])
    base = _app_version(page).split("-")[0]

    # A new household half typed: the new version waits; once saved and sent, it is taken.
    page.goto(f"/field/villages/{village.id}/households/new")
    page.evaluate("window.typedHere = true")
    page.fill('input[name="house_no"]', "12/3")
    _roll_out(server, page, "typing1")
    expect(page.locator('input[name="house_no"]')).to_have_value("12/3")
    assert page.evaluate("window.typedHere === true")  # the page was never reloaded
    page.fill('input[name="head_name"]', "นางพิมพ์ค้าง ระหว่างปรับรุ่น")
    page.fill('input[name="members"]', "4")
    page.fill('input[name="annual_income"]', "30000")
    page.click('form [type="submit"]')
    expect(page.locator('meta[name="app-version"]')).to_have_attribute("content", f"{base}-typing1", timeout=30_000)
    wait_pending(page, 0)

    # A survey half typed, then saved with no signal: the update is taken at the officer's tap and
    # the pending survey survives it.
    page.goto(f"/field/households/{household_id}/surveys/baseline")
    page.evaluate("window.typedHere = true")
    page.fill('input[name="annual_income"]', "41000")
    _roll_out(server, page, "typing2", offline_after=True)
    expect(page.locator('input[name="annual_income"]')).to_have_value("41000")
    assert page.evaluate("window.typedHere === true")
    page.fill('input[name="trade_income_month"]', "1500")
    page.click('form [type="submit"]')
    expect(page.locator("[data-saved]")).to_be_visible()
    wait_pending(page, 1)
    with page.expect_event("load"):
        page.click('[data-action="update-app"]')
    expect(page.locator('meta[name="app-version"]')).to_have_attribute("content", f"{base}-typing2")
    wait_pending(page, 1)
    assert [op["fields"].get("annual_income") for op in outbox(page)] == [41000]

    # A note typed on the attendance sheet: kept through the next version, which comes once it is saved.
    server.start(SAMMACHIP_APP_VERSION="typing2")
    page.goto(f"/field/sessions/{session_id}")
    wait_pending(page, 0, timeout=60_000)
    row = page.locator(f'[data-household-id="{household_id}"]')
    row.locator('[data-mark="present"]').click()
    wait_pending(page, 0, timeout=30_000)
    page.evaluate("window.typedHere = true")
    row.locator('input[name="note"]').fill("มาสายครึ่งชั่วโมง")
    _roll_out(server, page, "typing3")
    expect(row.locator('input[name="note"]')).to_have_value("มาสายครึ่งชั่วโมง")
    assert page.evaluate("window.typedHere === true")
    row.locator('input[name="note"]').press("Tab")  # the note is saved when the officer leaves it
    expect(page.locator('meta[name="app-version"]')).to_have_attribute("content", f"{base}-typing3", timeout=30_000)
    wait_pending(page, 0, timeout=30_000)
    engine = make_engine(field_world.db_url)
    with Session(engine) as db:
        mark = db.exec(select(Attendance).where(Attendance.session_id == session_id,
                                                Attendance.household_id == household_id)).one()
        assert (mark.present, mark.note) == (True, "มาสายครึ่งชั่วโมง")
    engine.dispose()
