"""A phone's unsent captures handed in at the office from the file the phone saved: pushed as its
officer from its phone, by the officer or a supervisor whose area covers theirs, each op once."""
import json
import uuid

from sqlmodel import Session, func, select

from server.auth.passwords import hash_token
from server.models import AuditEntry, Device, District, Household
from server.api.handoff import MAX_FILE_BYTES
from tests.foundation.helpers import csrf_token, sign_in
from tests.support.factories import make_geography, make_user


def _world(engine):
    with Session(engine) as db:
        geo = make_geography(db)
        north = make_user(db, username="north", role="officer", subdistrict_codes=["341401"])
        make_user(db, username="south", role="officer", subdistrict_codes=["341402"])
        make_user(db, username="boss", role="supervisor", district_code="3414")
        db.add(District(code="3415", province_code="34", name_th="อำเภอสมมุติ", name_en="Sample district"))
        db.flush()
        make_user(db, username="faraway", role="supervisor", district_code="3415")
        phone = Device(user_id=north.id, name="north's phone", token_hash=hash_token("token-north"))
        db.add(phone)
        db.commit()
        return {"north": north.id, "phone": phone.id, "village": geo["villages"][0].id}


def _file(world, n=2, **overrides) -> bytes:
    ops = [{"op_id": str(uuid.uuid4()), "entity": "household", "id": str(uuid.uuid4()), "action": "upsert",
            "base_seq": None, "captured_at": "2026-11-24T09:15:00+07:00", "status": "pending", "errors": [],
            "fields": {"village_id": world["village"], "house_no": str(i + 1), "head_name": f"head {i}",
                       "members": 3}} for i in range(n)]
    body = {"format": "sammachip-handoff", "version": 1, "saved_at": "2026-11-24T10:00:00+07:00",
            "user": {"id": world["north"], "username": "north"}, "device_id": world["phone"], "ops": ops}
    body.update(overrides)
    return json.dumps(body).encode()


def _hand_in(client, content: bytes):
    return client.post("/devices/handoff", data={"_csrf_token": csrf_token(client)},
                       files={"file": ("outbox.json", content, "application/json")})


def _households(engine) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(Household)).one()


def test_the_officer_hands_in_their_own_file_once_however_often_it_comes(client, engine):
    world = _world(engine)
    content = _file(world)
    sign_in(client, "north")
    first = _hand_in(client, content)
    assert first.status_code == 200, first.text
    assert _households(engine) == 2
    again = _hand_in(client, content)
    assert again.status_code == 200 and 'data-count="duplicate"' in again.text
    assert _households(engine) == 2
    with Session(engine) as db:
        pushed = db.exec(select(AuditEntry).where(AuditEntry.entity == "household")).all()
        assert pushed and {e.user_id for e in pushed} == {world["north"]}
        entries = db.exec(select(AuditEntry).where(AuditEntry.action == "hand_in_captures")).all()
        assert len(entries) == 2 and entries[0].detail["officer_user_id"] == world["north"]
        assert entries[0].detail["applied"] == 2 and entries[1].detail["duplicate"] == 2


def test_a_file_the_phone_also_synced_after_all_doubles_nothing(client, engine):
    world = _world(engine)
    content = _file(world)
    ops = json.loads(content)["ops"]
    pushed = client.post("/api/sync/push", headers={"Authorization": "Bearer token-north"},
                         json={"schema": 1, "ops": [{k: op[k] for k in ("op_id", "entity", "id", "action",
                                                                          "base_seq", "captured_at", "fields")}
                                                    for op in ops]})
    assert pushed.status_code == 200 and {r["status"] for r in pushed.json()["results"]} == {"applied"}
    sign_in(client, "boss")  # the district's supervisor hands it in
    answer = _hand_in(client, content)
    assert answer.status_code == 200, answer.text
    assert _households(engine) == 2


def test_another_officer_or_a_supervisor_elsewhere_is_refused(client, engine):
    world = _world(engine)
    for who in ("south", "faraway"):
        client.cookies.clear()
        sign_in(client, who)
        answer = _hand_in(client, _file(world))
        assert answer.status_code == 403 and "data-handoff-error" in answer.text
    assert _households(engine) == 0


def test_the_supervisor_of_the_area_hands_it_in_as_the_officer(client, engine):
    world = _world(engine)
    sign_in(client, "boss")
    assert _hand_in(client, _file(world, n=1)).status_code == 200
    with Session(engine) as db:
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "hand_in_captures")).one()
        assert entry.detail["officer_user_id"] == world["north"] and entry.device_id == world["phone"]
    assert _households(engine) == 1


def test_a_file_too_large_too_deep_or_of_another_shape_is_a_clear_4xx(client, engine):
    world = _world(engine)
    sign_in(client, "north")
    big = _file(world, n=1, padding="x" * (MAX_FILE_BYTES + 10))
    answer = _hand_in(client, big)
    assert answer.status_code == 413
    deep = _file(world, n=1)[:-1] + b', "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    answer = _hand_in(client, deep)
    assert answer.status_code == 400 and "data-handoff-error" in answer.text
    assert _hand_in(client, b"not json").status_code == 400
    assert _hand_in(client, _file(world, n=1, device_id=str(uuid.uuid4()))).status_code == 422
    assert _hand_in(client, _file(world, n=1, user={"id": world["north"], "username": "south"})).status_code == 422
    assert _households(engine) == 0
