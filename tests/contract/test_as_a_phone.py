"""SYNC.md spoken from outside, as a phone speaks it: real HTTP to a real server on the demo data."""
import gzip
import json
import uuid

import httpx
import pytest
from sqlmodel import Session, select

from server.demo import DEMO_PASSWORD, seed_demo
from server.models import Village


@pytest.fixture
def demo(db_url, engine):
    """A real server process on the demo data, on SQLite or PostgreSQL as the phase decides."""
    from tests.support.servers import start_server, stop_server

    with Session(engine) as db:
        seed_demo(db)
        outside = db.exec(select(Village).where(Village.subdistrict_code == "341405")).first().id
    process, base_url = start_server(db_url)
    yield {"base": base_url, "outside_village": outside}
    stop_server(process)


def _token(base, device_name, username="officer"):
    response = httpx.post(f"{base}/api/auth/token",
                          json={"username": username, "password": DEMO_PASSWORD, "device_name": device_name})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) >= {"token", "device_id", "user"}
    assert body["user"]["username"] == username and body["user"]["role"] in ("officer", "supervisor", "admin")
    return body["token"]


def _pull_all(base, token, cursor=None):
    changes = []
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        response = httpx.get(f"{base}/api/sync/pull", params=params, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        if len(response.content) > 4096:
            assert response.headers.get("content-encoding") == "gzip"  # 2G: big pages travel gzipped
        page = response.json()
        seqs = [c["seq"] for c in page["changes"]]
        assert seqs == sorted(seqs)
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, cursor


def _push(base, token, ops, *, gzipped=False):
    body = json.dumps({"schema": 1, "ops": ops}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if gzipped:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    response = httpx.post(f"{base}/api/sync/push", content=body, headers=headers)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["op_id"] for r in results] == [op["op_id"] for op in ops]
    return results


def _op(entity, record_id, fields=None, *, action="upsert", base_seq=None):
    return {"op_id": str(uuid.uuid4()), "entity": entity, "id": record_id, "action": action,
            "base_seq": base_seq, "captured_at": "2026-11-24T09:15:00+07:00", "fields": fields or {}}


def test_a_field_day_from_sign_in_to_conflict(demo):
    base = demo["base"]
    phone_a = _token(base, "โทรศัพท์ ก")
    phone_b = _token(base, "โทรศัพท์ ข")

    # A fresh phone pulls its area: reference data and records, each once, nothing outside the area.
    changes, cursor_a = _pull_all(base, phone_a)
    by_entity = {}
    for change in changes:
        by_entity.setdefault(change["entity"], []).append(change)
    assert {"village", "training", "session", "team", "household"} <= set(by_entity)
    assert len({(c["entity"], c["id"]) for c in changes}) == len(changes)
    village_codes = {c["fields"]["code"] for c in by_entity["village"]}
    assert village_codes and all(code[:6] in ("341401", "341402") for code in village_codes)
    session = next(c for c in by_entity["session"] if c["fields"]["day"] == 1)
    household = by_entity["household"][0]

    # Attendance captured offline on phone A, pushed gzipped; the replay is harmless.
    attendance_op = _op("attendance", str(uuid.uuid4()),
                        {"session_id": session["id"], "household_id": household["id"], "present": True})
    [first] = _push(base, phone_a, [attendance_op], gzipped=True)
    assert first["status"] in ("applied", "conflict")
    [again] = _push(base, phone_a, [attendance_op])
    assert again["status"] == "duplicate" and again["seq"] == first["seq"] and again["id"] == first["id"]

    # Phone B edits the household's phone number; phone A, from the old version, edits it too.
    base_seq = household["seq"]
    [b_edit] = _push(base, phone_b, [_op("household", household["id"], {"phone": "0811111111"},
                                         base_seq=base_seq)])
    assert b_edit["status"] == "applied" and b_edit["seq"] > base_seq
    [a_edit] = _push(base, phone_a, [_op("household", household["id"],
                                         {"phone": "0822222222", "note": "บ้านหลังวัด"}, base_seq=base_seq)])
    assert a_edit["status"] == "conflict"
    [conflict] = a_edit["conflicts"]
    assert conflict["field"] == "phone" and conflict["kept"] == "0811111111"
    assert conflict["other"] == "0822222222" and conflict["conflict_id"]

    # A delete from the stale version does not remove the record: it waits as a conflict.
    [stale_delete] = _push(base, phone_a, [_op("household", household["id"], action="delete",
                                               base_seq=base_seq)])
    assert stale_delete["status"] == "conflict"

    # Phone A pulls on from its cursor and sees the merged household once, in its latest state.
    later, _ = _pull_all(base, phone_a, cursor_a)
    merged = [c for c in later if c["id"] == household["id"]]
    assert len(merged) == 1 and not merged[0]["deleted"]
    assert merged[0]["fields"]["phone"] == "0811111111" and merged[0]["fields"]["note"] == "บ้านหลังวัด"

    # Outside the officer's area, and with bad data, nothing is stored and the reason comes back.
    [forbidden] = _push(base, phone_a, [_op("household", str(uuid.uuid4()), {
        "village_id": demo["outside_village"], "house_no": "1", "head_name": "นายสมมุติ", "members": 2,
        "annual_income": 50_000})])
    assert forbidden["status"] == "rejected"
    assert {e["code"] for e in forbidden["errors"]} == {"forbidden"}
    [invalid] = _push(base, phone_a, [_op("household", str(uuid.uuid4()), {
        "village_id": household["fields"]["village_id"], "house_no": "1", "head_name": "นายสมมุติ",
        "members": 2, "annual_income": -1, "citizen_id": "1234567890123"})])
    assert invalid["status"] == "rejected"
    assert {e["field"] for e in invalid["errors"]} == {"annual_income", "citizen_id"}
    assert all(e["message"] for e in invalid["errors"])

    # The cursor is sealed: a forged one (an unsigned claim on the whole country), an altered one,
    # a cut one or phone B's are refused and say nothing; none of them lists a record.
    import base64

    forged = base64.urlsafe_b64encode(b'{"v":1,"s":0,"a":"0000000000000000","o":["*"]}').decode()
    _, cursor_b = _pull_all(base, phone_b)
    payload, _, mac = cursor_a.rpartition(".")
    altered = payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + mac
    for bad in (forged, altered, cursor_a[:-3], cursor_b):
        answer = httpx.get(f"{base}/api/sync/pull", params={"cursor": bad},
                           headers={"Authorization": f"Bearer {phone_a}"})
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_cursor", (bad, answer.text)
        assert "changes" not in answer.json()

    # A revoked token is refused from then on.
    assert httpx.delete(f"{base}/api/auth/token", headers={"Authorization": f"Bearer {phone_a}"}).status_code in (200, 204)
    refused = httpx.get(f"{base}/api/sync/pull", headers={"Authorization": f"Bearer {phone_a}"})
    assert refused.status_code == 401 and refused.json()["error"]


ENTITY_FIELDS = {  # SYNC.md, Entities: the minimum fields of each pushable record
    "household": {"village_id", "house_no", "head_name", "citizen_id", "members", "annual_income",
                  "phone", "consent", "interest", "welfare_card", "note"},
    "sage": {"village_id", "name", "citizen_id", "phone", "skills", "skills_note", "note"},
    "enrollment": {"training_id", "household_id", "occupation", "status"},
    "attendance": {"session_id", "household_id", "present", "note"},
    "survey": {"household_id", "kind", "surveyed_on", "annual_income", "income_unknown", "annual_expenses",
               "savings", "debt", "trade_income_month", "practising_trade", "note"},
}


def test_every_entity_of_the_contract_is_created_offline_and_pulled_back_whole(demo):
    base = demo["base"]
    phone = _token(base, "โทรศัพท์ ค")
    changes, cursor = _pull_all(base, phone)
    village = next(c for c in changes if c["entity"] == "village")
    training = next(c for c in changes if c["entity"] == "training"
                    and c["fields"]["village_id"] == village["id"])
    session = next(c for c in changes if c["entity"] == "session" and c["fields"]["training_id"] == training["id"])
    ids = {name: str(uuid.uuid4()) for name in ENTITY_FIELDS}
    ops = [
        _op("household", ids["household"], {
            "village_id": village["id"], "house_no": "99/9", "head_name": "นางสมมุติ ทดลองใหม่",
            "citizen_id": "1101700230708", "members": 3, "annual_income": 45_000, "phone": "0812345678",
            "consent": True, "interest": "orchard", "welfare_card": True, "note": "ลงทะเบียนในหมู่บ้าน"}),
        _op("sage", ids["sage"], {"village_id": village["id"], "name": "นายปราชญ์ สาธิต",
                                  "citizen_id": None, "phone": "0899999999",
                                  "skills": ["orchard"], "skills_note": "จักสาน, ทำสบู่สมุนไพร", "note": None}),
        _op("enrollment", ids["enrollment"], {"training_id": training["id"], "household_id": ids["household"],
                                              "occupation": training["fields"]["occupation"],
                                              "status": "selected"}),
        _op("attendance", ids["attendance"], {"session_id": session["id"], "household_id": ids["household"],
                                              "present": True, "note": None}),
        _op("survey", ids["survey"], {"household_id": ids["household"], "kind": "baseline",
                                      "surveyed_on": "2026-11-24", "annual_income": 45_000,
                                      "income_unknown": False, "annual_expenses": 40_000, "savings": 1_000,
                                      "debt": 0, "trade_income_month": 0, "practising_trade": False,
                                      "note": None}),
    ]
    results = _push(base, phone, ops)
    assert [r["status"] for r in results] == ["applied"] * 5, results
    assert [r["id"] for r in results] == [op["id"] for op in ops]

    later, _ = _pull_all(base, phone, cursor)
    pulled = {c["entity"]: c for c in later if c["id"] in ids.values()}
    assert set(pulled) == set(ENTITY_FIELDS)
    for entity, fields in ENTITY_FIELDS.items():
        assert fields <= set(pulled[entity]["fields"]), entity
        sent = next(op for op in ops if op["entity"] == entity)["fields"]
        assert {k: pulled[entity]["fields"][k] for k in sent} == sent, entity
