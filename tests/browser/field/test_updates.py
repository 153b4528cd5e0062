"""Updates never cost a capture: a new app version waits for the officer while ops are pending, a
revoked phone stops syncing but keeps its outbox, and an IndexedDB upgrade carries old ops over."""
import datetime as dt
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from server.core.db import make_engine
from server.models import Attendance, Device, User
from tests.browser.field.conftest import prepare, sign_in, wait_for_worker, wait_pending

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
