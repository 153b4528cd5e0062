"""Phones a supervisor can tell apart: named at sign-in after the officer and the phone's model,
renamed on the phone or on /devices, listed with their last sync, app version and what waits to send."""
from __future__ import annotations

import re

from sqlmodel import Session, select

from server.models import AuditEntry, Device
from tests.review.conftest import post
from tests.sync.helpers import op, push_ok

ANDROID = ("Mozilla/5.0 (Linux; Android 13; SM-A145F Build/TP1A.220624.014) AppleWebKit/537.36 "
           "(KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36")
REDUCED = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"


def _phone(client, username, user_agent, device_name=""):
    response = client.post("/api/auth/token", json={"username": username, "password": "pw-test-1234",
                                                    "device_name": device_name},
                           headers={"User-Agent": user_agent})
    assert response.status_code == 201, response.text
    body = response.json()
    return {"Authorization": f"Bearer {body['token']}"}, body["device_id"]


def test_a_phone_is_named_after_its_officer_and_model_and_renamed_on_the_phone_or_the_devices_page(
        client, area, office, engine):
    galaxy, galaxy_id = _phone(client, "somchai", ANDROID, "Linux armv8l")
    reduced, reduced_id = _phone(client, "somchai", REDUCED)
    typed, _ = _phone(client, "somchai", ANDROID, "เครื่องสำนักงาน 2")
    with Session(engine) as db:
        names = {d.id: d.name for d in db.exec(select(Device)).all()}
    assert names[galaxy_id] == "ผู้ทดสอบ somchai · SM-A145F"
    assert names[reduced_id] == f"ผู้ทดสอบ somchai · #{reduced_id[:4].upper()}"
    assert "เครื่องสำนักงาน 2" in names.values()

    renamed = client.put("/api/auth/device", json={"name": "  สมชาย   เครื่องเหลือง "}, headers=reduced)
    assert renamed.status_code == 200 and renamed.json()["name"] == "สมชาย เครื่องเหลือง"
    assert client.put("/api/auth/device", json={"name": "   "}, headers=reduced).status_code == 400

    push_ok(client, {**galaxy, "X-Pending-Ops": "3", "X-App-Version": "2026.12.05"},
            [op("household", area.households[0].id, {"note": "บ้านริมน้ำ"}, base_seq=area.households[0].seq)])
    boss = office("boss")
    page = boss.get("/devices").text
    row = re.search(rf'<tr data-device-id="{galaxy_id}">(.*?)</tr>', page, re.S).group(1)
    assert re.search(r"data-pending>3<", row) and "2026.12.05" in row
    assert re.search(r"data-last-sync>\d+ \w+ 25\d\d BE \d\d:\d\d<", row)  # a BE date and a Thai time
    assert "สมชาย เครื่องเหลือง" in page

    post(boss, f"/devices/{galaxy_id}/name", {"name": "สมชาย กาแล็กซี่"})
    assert 'data-device-name>สมชาย กาแล็กซี่<' in boss.get("/devices").text
    assert post(office("elsewhere"), f"/devices/{galaxy_id}/name", {"name": "x"}).status_code == 404
    with Session(engine) as db:
        renames = db.exec(select(AuditEntry.detail).where(AuditEntry.action == "rename_device")
                          .order_by(AuditEntry.id)).all()
    assert [d["device_name"] for d in renames] == ["สมชาย เครื่องเหลือง", "สมชาย กาแล็กซี่"]


def test_the_conflict_queue_names_the_officer_and_each_phone(client, area, office):
    home = area.households[0]
    first, _ = _phone(client, "somchai", ANDROID)
    second, _ = _phone(client, "somchai", REDUCED, "สมชาย เครื่องสำรอง")
    push_ok(client, first, [op("household", home.id, {"members": 5}, base_seq=home.seq)])
    push_ok(client, second, [op("household", home.id, {"members": 6}, base_seq=home.seq,
                                captured_at="2026-12-05T21:57:42+07:00")])
    page = office("boss").get("/review/conflicts").text
    kept = re.search(r"<tr><th>Kept</th>(.*?)</tr>", page, re.S).group(1)
    other = re.search(r"<tr><th>Other</th>(.*?)</tr>", page, re.S).group(1)
    assert "ผู้ทดสอบ somchai" in kept and "SM-A145F" in kept
    assert "สมชาย เครื่องสำรอง" in other and "5 Dec 2569 BE 21:57" in other
    assert "2026-12-05T21:57" not in page
