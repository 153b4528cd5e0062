"""One phone, several officers (SYNC.md, Shared phones): each user's records, outbox and token are
theirs alone; a sign-out with no signal ends on the app's own page; a server restored from a backup
(pull answered 409 resync) is pulled again from the start with the outbox kept."""
import json
import time

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from server.core.db import make_engine
from server.models import Attendance, AuditEntry, Device, User
from tests.browser.field.conftest import (
    outbox,
    prepare,
    ready_to_work,
    sign_in,
    wait_outbox_empty,
    wait_pending,
)
from tests.support.factories import make_household, valid_citizen_id

pytestmark = pytest.mark.browser

STORED = """async () => {
    const store = await import('/static/js/store.js');
    return {households: (await store.recordsOf(['household'])).map(r => r.fields.village_id),
            ops: (await store.outboxAll()).map(o => o.op_id), token: await store.getMeta('token')};
}"""


def _user_id(db, username: str) -> int:
    return db.exec(select(User).where(User.username == username)).one().id


def test_two_officers_share_a_phone_and_each_keeps_their_own(field_world, server, phone_factory):
    north_village, south_village = field_world.villages["34140101"], field_world.villages["34140201"]
    north_session, north_household = north_village.session_ids[2], north_village.household_ids[2]
    south_session, south_household = south_village.session_ids[2], south_village.household_ids[2]
    engine = make_engine(field_world.db_url)
    taken_id = valid_citizen_id(5151)
    with Session(engine) as db:  # a household elsewhere already holds this citizen ID: north's copy is rejected
        make_household(db, village_id=field_world.villages["34140202"].id, citizen_id=taken_id)
    page = phone_factory("shared").page

    # Officer 1 works: one capture rejected by the server, one still unsent when the signal goes.
    ready_to_work(page, "north", [north_village.id])
    page.goto(f"/field/villages/{north_village.id}/households/new")
    for name, value in {"house_no": "71/1", "head_name": "นางเลขซ้ำ เครื่องรวม", "citizen_id": taken_id,
                        "members": "3", "annual_income": "24000"}.items():
        page.fill(f'input[name="{name}"]', value)
    page.click('form [type="submit"]')
    expect(page.locator("[data-sync-status]")).to_have_attribute("data-rejected", "1", timeout=30_000)
    server.stop()
    page.goto(f"/field/sessions/{north_session}")
    page.locator(f'[data-household-id="{north_household}"] [data-mark="present"]').click()
    wait_pending(page, 1)
    north_ops = {op["op_id"]: op["status"] for op in outbox(page)}
    rejected_op = next(op_id for op_id, state in north_ops.items() if state == "rejected")

    # Signing out with no signal: the warning says what the next person will and will not see, and
    # the officer lands on the app's own page, which says nobody is signed in.
    with page.expect_event("dialog") as warning:
        page.once("dialog", lambda dialog: dialog.accept())
        page.click('[data-action="sign-out"]')
    assert "2 รายการ" in warning.value.message and "ไม่เห็นข้อมูล" in warning.value.message
    expect(page).to_have_url(f"{server.base_url}/field")
    expect(page.locator("[data-sync-notice]")).to_contain_text("ยังไม่มีผู้ใดเข้าสู่ระบบในเครื่องนี้")
    assert page.evaluate(STORED) == {"households": [], "ops": [], "token": None}

    # Officer 2 signs in on the same phone: a token of their own, only their own area and records.
    server.start()
    sign_in(page, "south")
    page.goto("/field/prepare")
    choices = page.locator('input[name="village"]')
    expect(choices).to_have_count(2, timeout=30_000)
    assert sorted(choices.evaluate_all("els => els.map(e => e.value)")) == sorted(
        [south_village.id, field_world.villages["34140202"].id])
    prepare(page, [south_village.id])
    stored = page.evaluate(STORED)
    assert set(stored["households"]) == {south_village.id} and stored["ops"] == []
    page.goto("/field/outbox")
    expect(page.locator("[data-sync-status]")).to_have_attribute("data-rejected", "0")
    expect(page.locator("[data-rejected-op]")).to_have_count(0)
    expect(page.locator("[data-pending-op]")).to_have_count(0)
    # Even through the store, officer 1's rejected capture cannot be discarded.
    page.evaluate("async (id) => (await import('/static/js/store.js')).discardOp(id)", rejected_op)
    page.goto(f"/field/households/{north_household}")
    expect(page.locator("[data-household]")).to_contain_text("ไม่มีในเครื่อง")
    page.goto(f"/field/sessions/{south_session}")
    absent = page.locator(f'[data-household-id="{south_household}"] [data-mark="absent"]')
    absent.click()
    expect(absent).to_have_attribute("aria-pressed", "true")
    wait_outbox_empty(page)
    page.goto("/devices")
    expect(page.locator("table.list tbody tr", has_text="south")).to_have_count(1)
    with Session(engine) as db:
        assert db.exec(select(Attendance).where(Attendance.session_id == north_session)).all() == []
        south_devices = db.exec(select(Device).where(Device.user_id == _user_id(db, "south"),
                                                     Device.revoked_at.is_(None))).all()
        assert len(south_devices) == 1

    # Officer 2 signs out with everything sent: nothing of theirs stays. Officer 1 comes back and
    # their captures go out, as officer 1, with a token of officer 1's own.
    page.goto("/field")
    expect(page.locator("[data-sync-status]")).to_have_attribute("data-rejected", "0")
    page.click('[data-action="sign-out"]')
    expect(page).to_have_url(f"{server.base_url}/login")
    sign_in(page, "north")
    page.goto("/field/outbox")
    wait_pending(page, 0, timeout=60_000)
    expect(page.locator(f'[data-rejected-op="{rejected_op}"]')).to_be_visible()
    page.goto("/field")  # officer 1's villages came back with their sign-in (they left the phone with them)
    expect(page.locator(f'[data-prepared-village="{north_village.id}"]')).to_be_visible(timeout=30_000)
    assert set(page.evaluate(STORED)["households"]) == {north_village.id}
    with Session(engine) as db:
        north_id, south_id = _user_id(db, "north"), _user_id(db, "south")
        north_mark = db.exec(select(Attendance).where(Attendance.session_id == north_session)).one()
        south_mark = db.exec(select(Attendance).where(Attendance.session_id == south_session)).one()
        assert (north_mark.household_id, north_mark.present) == (north_household, True)
        audits = {row.record_id: (row.user_id, row.device_id) for row in db.exec(
            select(AuditEntry).where(AuditEntry.entity == "attendance")).all()}
        north_device = db.get(Device, audits[north_mark.id][1])
        assert audits[north_mark.id][0] == north_id and north_device.user_id == north_id
        assert audits[south_mark.id] == (south_id, south_devices[0].id)
        # Officer 1's first token left the phone with them and was revoked; no token is shared.
        assert {d.user_id for d in db.exec(select(Device).where(Device.revoked_at.is_(None))).all()
                if d.id in {north_device.id, south_devices[0].id}} == {north_id}
    engine.dispose()


def test_a_sign_out_while_a_sync_is_sending_waits_for_it_and_warns_of_nothing(field_world, server, phone_factory):
    village = field_world.villages["34140101"]
    session_id, household_id = village.session_ids[0], village.household_ids[3]
    phone = phone_factory("leaving-mid-sync")
    page = phone.page
    ready_to_work(page, "north2", [village.id])
    held = []  # the push, kept on its way until the sign-out is waiting for it
    phone.context.route("**/api/sync/push", lambda route: held.append(route))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(f"/field/sessions/{session_id}")
    page.locator(f'[data-household-id="{household_id}"] [data-mark="present"]').click()
    deadline = time.monotonic() + 30
    while not held:
        assert time.monotonic() < deadline, "the mark was never sent"
        page.wait_for_timeout(100)
    page.click('[data-action="sign-out"]')
    # The sign-out waits for the sync that is sending the mark, rather than warning it is unsent.
    deadline = time.monotonic() + 30
    while not page.evaluate("""async () => (await navigator.locks.query()).pending
            .some(lock => lock.name === 'sammachip-sync')"""):
        assert time.monotonic() < deadline and not dialogs, f"the sign-out did not wait for the sync: {dialogs}"
        page.wait_for_timeout(100)
    leaving = page.locator('[data-action="sign-out"]')
    expect(leaving).to_have_text("กำลังออกจากระบบ…")
    expect(leaving).to_be_disabled()
    held[0].continue_()
    expect(page).to_have_url(f"{server.base_url}/login", timeout=30_000)
    assert dialogs == []
    engine = make_engine(field_world.db_url)
    with Session(engine) as db:
        marks = db.exec(select(Attendance).where(Attendance.session_id == session_id,
                                                 Attendance.household_id == household_id)).all()
        assert [a.present for a in marks] == [True]
    engine.dispose()
    assert page.evaluate("async () => (await import('/static/js/store.js')).currentUser()") is None


def test_a_restored_server_is_pulled_again_from_the_start(field_world, server, phone_factory):
    village = field_world.villages["34140102"]
    session_id, household_id = village.session_ids[0], village.household_ids[0]
    phone = phone_factory("resync")
    page = phone.page
    ready_to_work(page, "east", [village.id])
    server.stop()
    page.goto(f"/field/sessions/{session_id}")
    page.locator(f'[data-household-id="{household_id}"] [data-mark="present"]').click()
    wait_pending(page, 1)

    pulls: list[str] = []

    def answer(route) -> None:
        url = route.request.url
        pulls.append(url)
        if "cursor=" in url and not any("resync" in p for p in pulls):
            pulls.append("resync")
            route.fulfill(status=409, content_type="application/json",
                          body=json.dumps({"error": "resync", "message": "Pull again from the start"}))
        else:
            route.continue_()

    phone.context.route("**/api/sync/pull*", answer)
    server.start()
    page.reload()
    wait_pending(page, 0, timeout=60_000)
    expect(page.locator("[data-sync-status]")).to_have_attribute("data-state", "idle", timeout=30_000)
    after = pulls[pulls.index("resync") + 1:]
    assert after and "cursor=" not in after[0]  # pulled from the beginning, by itself
    expect(page.locator(f'[data-household-id="{household_id}"] [data-mark="present"]')).to_have_attribute(
        "aria-pressed", "true")
    households = page.evaluate("""async () => (await (await import('/static/js/store.js')).recordsOf(['household']))
        .map(r => r.id)""")
    assert set(village.household_ids) <= set(households)
    engine = make_engine(field_world.db_url)
    with Session(engine) as db:
        marks = db.exec(select(Attendance).where(Attendance.session_id == session_id)).all()
        assert [(a.household_id, a.present) for a in marks] == [(household_id, True)]
    engine.dispose()
