"""What the server turns away or merges: a rejected op keeps its reason on the phone, holds back
nothing else, and is fixed and sent again or discarded; two phones marking the same sheet leave one
record per household and an open conflict where they differ."""
import json
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from server.core.db import make_engine
from server.models import Attendance, Conflict, Device, Household, User, UserArea
from tests.browser.field.conftest import (
    outbox,
    prepare,
    ready_to_work,
    sign_in,
    wait_for_worker,
    wait_pending,
)
from tests.support.factories import DEFAULT_PASSWORD, make_household, valid_citizen_id

pytestmark = pytest.mark.browser


def _register(page, village_id: str, house_no: str, head_name: str, citizen_id: str = "") -> None:
    page.goto(f"/field/villages/{village_id}/households/new")
    page.fill('input[name="house_no"]', house_no)
    page.fill('input[name="head_name"]', head_name)
    page.fill('input[name="citizen_id"]', citizen_id)
    page.fill('input[name="members"]', "3")
    page.fill('input[name="annual_income"]', "24000")
    page.click('form [type="submit"]')
    expect(page.locator("[data-saved]")).to_be_visible()


def test_rejected_ops_are_kept_with_their_reason_to_fix_or_discard(field_world, server, phone_factory):
    village_a, village_b = field_world.villages["34140101"], field_world.villages["34140102"]
    engine = make_engine(field_world.db_url)
    taken_id = valid_citizen_id(4242)
    with Session(engine) as db:  # a household elsewhere in the district already holds this citizen ID
        make_household(db, village_id=field_world.villages["34140202"].id, citizen_id=taken_id)
    page = phone_factory("east").page
    ready_to_work(page, "east", [village_a.id, village_b.id])

    server.stop()
    session_id, present_id = village_a.session_ids[0], village_a.household_ids[0]
    page.goto(f"/field/sessions/{session_id}")
    present = page.locator(f'[data-household-id="{present_id}"] [data-mark="present"]')
    present.click()
    expect(present).to_have_attribute("aria-pressed", "true")  # stored before the page is left
    _register(page, village_b.id, "88/8", "นายย้ายออก นอกพื้นที่")
    _register(page, village_a.id, "66/1", "นางเลขซ้ำ ทดสอบ", taken_id)
    wait_pending(page, 3)
    ops = {op["fields"].get("house_no", "attendance"): op for op in outbox(page)}

    with Session(engine) as db:  # while the phone was away, the officer lost village B
        east = db.exec(select(User).where(User.username == "east")).one()
        for area in db.exec(select(UserArea).where(UserArea.user_id == east.id,
                                                   UserArea.village_id == village_b.id)).all():
            db.delete(area)
        db.commit()
    server.start()

    page.goto("/field/outbox")
    wait_pending(page, 0, timeout=60_000)
    expect(page.locator("[data-sync-status]")).to_have_attribute("data-rejected", "2")
    outside = page.locator(f'[data-rejected-op="{ops["88/8"]["op_id"]}"]')
    duplicate = page.locator(f'[data-rejected-op="{ops["66/1"]["op_id"]}"]')
    expect(duplicate).to_contain_text("เลขประจำตัวประชาชนซ้ำ")
    expect(outside).to_be_visible()
    held = page.evaluate("""async () => (await (await import('/static/js/store.js')).recordsOf(['household', 'village']))
        .map(r => r.fields.village_id || r.id)""")
    assert village_b.id not in held and village_a.id in held  # village B's records left the phone
    with Session(engine) as db:  # the good op was not held back
        marks = db.exec(select(Attendance).where(Attendance.session_id == session_id)).all()
        assert [(a.household_id, a.present) for a in marks] == [(present_id, True)]

    duplicate.locator('[data-action="fix"]').click()
    expect(page.locator('input[name="house_no"]')).to_have_value("66/1")
    expect(page.locator('input[name="citizen_id"]')).to_have_value(taken_id)
    page.fill('input[name="citizen_id"]', valid_citizen_id(4343))
    page.click('form [type="submit"]')
    expect(page.locator("[data-saved]")).to_be_visible()
    expect(page.locator("[data-sync-status]")).to_have_attribute("data-rejected", "1", timeout=30_000)
    wait_pending(page, 0)

    page.goto("/field/outbox")
    page.once("dialog", lambda dialog: dialog.accept())
    outside.locator('[data-action="discard"]').click()
    expect(page.locator("[data-rejected-op]")).to_have_count(0)
    expect(page.locator("[data-sync-status]")).to_have_attribute("data-rejected", "0")
    with Session(engine) as db:
        fixed = db.exec(select(Household).where(Household.head_name == "นางเลขซ้ำ ทดสอบ")).all()
        assert [(h.id, h.citizen_id) for h in fixed] == [(ops["66/1"]["id"], valid_citizen_id(4343))]
        assert db.exec(select(Household).where(Household.house_no == "88/8")).all() == []
    engine.dispose()


def test_two_phones_mark_the_same_sheet_and_nothing_is_lost(field_world, server, phone_factory):
    village = field_world.villages["34140102"]
    session_id = village.session_ids[2]
    differing = village.household_ids[1]
    first, second = phone_factory("north-1"), phone_factory("north2-2")
    for phone, username in ((first, "north"), (second, "north2")):
        sign_in(phone.page, username)
        prepare(phone.page, [village.id])
        wait_for_worker(phone.page)

    server.stop()
    for phone, absent in ((first, None), (second, differing)):
        phone.page.goto(f"/field/sessions/{session_id}")
        for household_id in village.household_ids:
            mark = "absent" if household_id == absent else "present"
            phone.page.locator(f'[data-household-id="{household_id}"] [data-mark="{mark}"]').click()
        wait_pending(phone.page, len(village.household_ids))

    server.start()
    for phone in (first, second):
        phone.page.click('[data-action="sync-now"]')
        wait_pending(phone.page, 0, timeout=60_000)

    engine = make_engine(field_world.db_url)
    with Session(engine) as db:
        marks = db.exec(select(Attendance).where(Attendance.session_id == session_id)).all()
        assert sorted(a.household_id for a in marks) == sorted(village.household_ids)  # one per household
        record = next(a for a in marks if a.household_id == differing)
        conflicts = db.exec(select(Conflict).where(Conflict.record_id == record.id)).all()
        assert [(c.field, c.status) for c in conflicts] == [("present", "open")]
        assert {conflicts[0].kept, conflicts[0].other} == {True, False}  # neither value lost
        canonical = {a.household_id: a.id for a in marks}
    engine.dispose()

    # The phone whose value lost says a supervisor will decide; both now hold the canonical ids.
    shown = 0
    for phone in (first, second):
        phone.page.goto("/field/outbox")
        # The shell's heading comes first; the lists are drawn from IndexedDB after it.
        expect(phone.page.locator("[data-outbox] h2").first).to_be_visible()
        conflict = phone.page.locator("[data-conflict]")
        shown += conflict.count()
        if conflict.count():
            expect(conflict).to_contain_text("หัวหน้าจะเป็นผู้ตัดสิน")
        ids = phone.page.evaluate("""async (sessionId) => {
            const {recordsOf} = await import('/static/js/store.js');
            return (await recordsOf(['attendance'])).filter(r => r.fields.session_id === sessionId)
                .map(r => [r.fields.household_id, r.id]);
        }""", session_id)
        assert dict(ids) == canonical
    assert shown == 1


def test_sign_out_keeps_unsent_captures_and_clears_the_phone_once_all_is_sent(field_world, server, phone_factory):
    village = field_world.villages["34140101"]
    session_id, household_id = village.session_ids[4], village.household_ids[3]
    page = phone_factory("north-signout").page
    ready_to_work(page, "north", [village.id])

    server.stop()
    page.goto(f"/field/sessions/{session_id}")
    page.locator(f'[data-household-id="{household_id}"] [data-mark="absent"]').click()
    wait_pending(page, 1)
    page.once("dialog", lambda dialog: dialog.dismiss())  # the officer stays signed in
    with page.expect_event("dialog") as warning:
        page.click('[data-action="sign-out"]')
    assert "1 รายการ" in warning.value.message and "ยังไม่ได้ส่ง" in warning.value.message
    expect(page.locator("[data-sync-status]")).to_have_attribute("data-pending", "1")

    server.start()
    wait_pending(page, 0, timeout=60_000)
    engine = make_engine(field_world.db_url)
    with Session(engine) as db:
        north = db.exec(select(User).where(User.username == "north")).one()
        tokens_before = {d.id for d in db.exec(select(Device).where(Device.user_id == north.id,
                                                                    Device.revoked_at.is_(None))).all()}
    page.click('[data-action="sign-out"]')  # nothing unsent: no question asked
    expect(page).to_have_url(f"{server.base_url}/login")
    stored = page.evaluate("""async () => {
        const store = await import('/static/js/store.js');
        return {records: (await store.recordsOf(['household', 'attendance', 'village'])).length,
                ops: (await store.outboxAll()).length, token: await store.getMeta('token')};
    }""")
    assert stored == {"records": 0, "ops": 0, "token": None}
    with Session(engine) as db:
        still_valid = {d.id for d in db.exec(select(Device).where(Device.user_id == north.id,
                                                                  Device.revoked_at.is_(None))).all()}
    engine.dispose()
    assert len(tokens_before - still_valid) == 1  # this phone's token was revoked, no other


def test_a_conflict_whose_answer_was_lost_still_reaches_the_phone(field_world, server, phone_factory):
    village = field_world.villages["34140202"]
    session_id, household_id = village.session_ids[0], village.household_ids[0]
    phone = phone_factory("south-lost-answer")
    sign_in(phone.page, "south")
    prepare(phone.page, [village.id])
    wait_for_worker(phone.page)

    signal = WeakSignal(phone)
    server.stop()
    phone.page.goto(f"/field/sessions/{session_id}")
    phone.page.locator(f'[data-household-id="{household_id}"] [data-mark="present"]').click()
    wait_pending(phone.page, 1)
    server.start()

    # Meanwhile another phone of the office marks the same household absent.
    other = _api(server.base_url, "/api/auth/token", {"username": "south", "password": DEFAULT_PASSWORD,
                                                       "device_name": "office tablet"})
    answer = _api(server.base_url, "/api/sync/push", {"schema": 1, "ops": [{
        "op_id": str(uuid.uuid4()), "entity": "attendance", "id": str(uuid.uuid4()), "action": "upsert",
        "base_seq": None, "captured_at": "2026-11-24T09:15:00+07:00",
        "fields": {"session_id": session_id, "household_id": household_id, "present": False}}]},
        token=other["token"])
    assert answer["results"][0]["status"] == "applied"

    lost = signal.lose_the_next_answer()
    assert lost["results"][0]["status"] == "conflict"
    wait_pending(phone.page, 1)  # not known to have arrived: kept

    phone.page.click('[data-action="sync-now"]')  # sent again: `duplicate`, with the first answer
    wait_pending(phone.page, 0, timeout=60_000)
    phone.page.goto("/field/outbox")
    expect(phone.page.locator("[data-outbox] h2").first).to_be_visible()
    conflict = phone.page.locator("[data-conflict]")
    expect(conflict).to_have_count(1)
    expect(conflict).to_contain_text("หัวหน้าจะเป็นผู้ตัดสิน")
    assert conflict.get_attribute("data-conflict") == lost["results"][0]["conflicts"][0]["conflict_id"]


def test_a_rejected_op_whose_answer_was_lost_stays_on_the_phone_with_its_reason(field_world, server,
                                                                                  phone_factory):
    village = field_world.villages["34140202"]
    engine = make_engine(field_world.db_url)
    taken_id = valid_citizen_id(4343)
    with Session(engine) as db:  # a household of the district already holds this citizen ID
        make_household(db, village_id=field_world.villages["34140101"].id, citizen_id=taken_id)
    engine.dispose()
    phone = phone_factory("south-lost-rejection")
    sign_in(phone.page, "south")
    prepare(phone.page, [village.id])
    wait_for_worker(phone.page)

    signal = WeakSignal(phone)
    server.stop()
    _register(phone.page, village.id, "77/2", "นางส่งซ้ำ ทดลอง", taken_id)
    wait_pending(phone.page, 1)
    server.start()
    lost = signal.lose_the_next_answer()
    assert lost["results"][0]["status"] == "rejected"

    phone.page.click('[data-action="sync-now"]')  # sent again: `duplicate`, with the first answer
    wait_pending(phone.page, 0, timeout=60_000)
    expect(phone.page.locator("[data-sync-status]")).to_have_attribute("data-rejected", "1")
    [op] = outbox(phone.page)
    assert op["status"] == "rejected" and op["errors"][0]["field"] == "citizen_id"
    phone.page.goto("/field/outbox")
    expect(phone.page.locator(f'[data-rejected-op="{op["op_id"]}"]')).to_be_visible()


class WeakSignal:
    """The phone's pushes do not get through until told; then one reaches the server, which applies
    it, but its answer never arrives back; after that the signal is clear."""

    def __init__(self, phone) -> None:  # noqa: ANN001
        self.phone, self.mode, self.lost = phone, "blocked", []
        phone.context.route("**/api/sync/push", self._route)
        # The worker's own Background Sync would push past the page's route: the pages of this phone
        # leave every send to themselves (sync after a save, on `online`, on the button).
        phone.context.add_init_script("if (self.SyncManager) SyncManager.prototype.register = async () => {};")

    def _route(self, route) -> None:  # noqa: ANN001
        if self.mode == "blocked":
            route.abort()
        elif self.mode == "answer_lost":
            self.lost.append(route.fetch().json())
            self.mode = "clear"
            route.abort()
        else:
            route.continue_()

    def lose_the_next_answer(self) -> dict:
        """Let one push through, its answer lost (sync now is tapped); that answer, as the server gave it."""
        self.mode = "answer_lost"
        self.phone.page.click('[data-action="sync-now"]')
        for _ in range(200):
            if self.lost:
                return self.lost[0]
            self.phone.page.wait_for_timeout(100)
        raise AssertionError("no push reached the server")


def _api(base_url: str, path: str, body: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    request = urllib.request.Request(base_url + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())
