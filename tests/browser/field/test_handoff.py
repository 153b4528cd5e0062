"""Hand-off of unsent captures: a phone's unsent captures saved to a file offline, the profile wiped,
the file loaded on a new profile of the same officer and synced: each record once on the server, and
the same file loaded again adds nothing."""
import json

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from server.core.db import make_engine
from server.models import Attendance, Device, User
from tests.browser.field.conftest import outbox, ready_to_work, sign_in, wait_pending

pytestmark = pytest.mark.browser


def test_unsent_captures_move_to_a_new_phone_and_reach_the_server_once(field_world, server, phone_factory, tmp_path):
    village = field_world.villages["34140102"]
    session_id, households = village.session_ids[1], village.household_ids[:2]
    first = phone_factory("broken")
    page = first.page
    ready_to_work(page, "north2", [village.id])
    server.stop()
    page.goto(f"/field/sessions/{session_id}")
    for household_id in households:
        page.locator(f'[data-household-id="{household_id}"] [data-mark="present"]').click()
    wait_pending(page, 2)
    captured = {op["op_id"] for op in outbox(page)}

    page.goto("/field/outbox")
    with page.expect_download() as saving:
        page.click('[data-action="save-handoff"]')
    saved = tmp_path / "handoff.json"
    saving.value.save_as(saved)
    content = json.loads(saved.read_text(encoding="utf-8"))
    engine = make_engine(field_world.db_url)
    with Session(engine) as db:
        officer = db.exec(select(User).where(User.username == "north2")).one()
        devices = {d.id for d in db.exec(select(Device).where(Device.user_id == officer.id)).all()}
    assert content["format"] == "sammachip-handoff" and content["version"] == 1
    assert content["user"] == {"id": officer.id, "username": "north2"} and content["device_id"] in devices
    assert {op["op_id"] for op in content["ops"]} == captured
    first.close()  # the phone breaks: its profile is gone with it

    server.start()
    page = phone_factory("new").page
    sign_in(page, "north2")
    page.goto("/field/outbox")
    expect(page.locator("[data-sync-status]")).to_have_attribute("data-state", "idle", timeout=30_000)
    page.set_input_files("[data-handoff-file]", str(saved))
    expect(page.locator("[data-handoff-result]")).to_have_attribute("data-handoff-added", "2")
    wait_pending(page, 0, timeout=60_000)
    assert outbox(page) == []
    with Session(engine) as db:
        marks = db.exec(select(Attendance).where(Attendance.session_id == session_id)).all()
        assert sorted((m.household_id, m.present) for m in marks) == sorted((h, True) for h in households)

    page.set_input_files("[data-handoff-file]", str(saved))  # loaded again: nothing new
    expect(page.locator("[data-handoff-result]")).to_have_attribute("data-handoff-added", "0")
    expect(page.locator("[data-handoff-result]")).to_contain_text("ไม่มีอะไรใหม่")
    assert outbox(page) == []
    with Session(engine) as db:
        assert len(db.exec(select(Attendance).where(Attendance.session_id == session_id)).all()) == 2
        other = db.exec(select(User).where(User.username == "north")).one()

    # Another officer's file (the same captures under their name) is refused on this phone.
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**content, "user": {"id": other.id, "username": "north"},
                                  "ops": [{**op, "op_id": op["op_id"][:-4] + "beef"} for op in content["ops"]]}),
                      encoding="utf-8")
    page.set_input_files("[data-handoff-file]", str(forged))
    expect(page.locator("[data-handoff-result].error")).to_contain_text("เจ้าหน้าที่คนอื่น")
    assert outbox(page) == []
    engine.dispose()
