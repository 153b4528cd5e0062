"""Bad input gets a documented 4xx answer, never a 500, and stores nothing."""
import base64
import gzip
import json

import pytest
from sqlmodel import Session

from server.models import Attendance, AuditEntry, Household, SyncOp
from tests.sync.helpers import count, make_area, new_id, op, push, push_ok, sign_in
from server.program.rules import thai_today


@pytest.fixture
def world(client, engine):
    with Session(engine, expire_on_commit=False) as s:
        area = make_area(s)
    return area, sign_in(client, "somchai")


def _stored(engine):
    with Session(engine) as s:
        return count(s, Attendance), count(s, Household), count(s, SyncOp), count(s, AuditEntry)


def _raw(client, headers, body: bytes, **extra):
    return client.post("/api/sync/push", content=body,
                       headers={**headers, "Content-Type": "application/json", **extra})


@pytest.mark.parametrize("body", [b"{not json", b"[]", b"42", b'{"schema": 1}', b'{"schema": 1, "ops": {}}',
                                  b'{"schema": "1", "ops": []}', b'{"schema": 1, "ops": [42]}',
                                  b'{"schema": 1, "ops": [{"op_id": "x"}]}',
                                  b'{"schema": 1, "ops": [{"op_id": 5, "entity": "household", "id": "a", "action": "upsert"}]}',
                                  b'{"schema": 1, "ops": [{"op_id": "a", "entity": "household", "id": "a", "action": "upsert", "base_seq": "x"}]}',
                                  b'{"schema": 1, "ops": [{"op_id": "a", "entity": "household", "id": "a", "action": "upsert", "fields": []}]}'])
def test_malformed_requests_are_400_and_store_nothing(client, engine, world, body):
    _, phone = world
    before = _stored(engine)
    response = _raw(client, phone, body)
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"] and response.json()["message"]
    assert _stored(engine) == before


def test_unsupported_schema_is_409_with_supported_versions(client, world):
    _, phone = world
    response = push(client, phone, [{"some": "future op"}], schema=2)
    assert response.status_code == 409
    assert response.json()["error"] == "unsupported_schema" and response.json()["supported"] == [1]


def test_too_many_ops_is_413_with_limits(client, engine, world):
    area, phone = world
    ops = [op("household", area.households[0].id, {"note": str(i)}) for i in range(1001)]
    before = _stored(engine)
    response = push(client, phone, ops)
    assert response.status_code == 413
    assert response.json()["limits"] == {"max_ops": 1000, "max_bytes": 5 * 1024 * 1024}
    assert _stored(engine) == before


def test_oversize_and_gzip_bomb_bodies_are_413(client, world):
    _, phone = world
    big = b'{"schema": 1, "ops": [], "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    assert _raw(client, phone, big).status_code == 413
    bomb = gzip.compress(big)
    assert len(bomb) < 100_000
    response = _raw(client, phone, bomb, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert _raw(client, phone, b"not gzip", **{"Content-Encoding": "gzip"}).status_code == 400
    assert _raw(client, phone, b"{}", **{"Content-Encoding": "br"}).status_code == 415


def test_gzip_body_is_accepted(client, engine, world):
    area, phone = world
    ops = [op("attendance", fields={"session_id": area.sessions[1].id, "household_id": area.households[0].id,
                                    "present": True})]
    body = gzip.compress(json.dumps({"schema": 1, "ops": ops}).encode())
    response = _raw(client, phone, body, **{"Content-Encoding": "gzip"})
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "applied"


def _codes(result):
    return sorted((e["field"], e["code"]) for e in result["errors"])


def test_bad_ops_are_rejected_one_by_one_with_reasons_in_two_languages(client, engine, world):
    area, phone = world
    village_id = area.villages[0].id
    home = {"village_id": village_id, "house_no": "1", "head_name": "นางทดสอบ"}
    attend = {"session_id": area.sessions[0].id, "household_id": area.households[0].id, "present": True}
    ops = [
        op("tractor", fields={"x": 1}),
        op("household", fields={**home, "colour": "red"}),
        op("household", fields={**home, "citizen_id": "1234567890123"}),
        op("household", fields={**home, "annual_income": -5, "members": 0}),
        op("household", fields={**home, "village_id": area.other_village.id}),
        op("household", fields={**home, "village_id": new_id()}),
        op("household", fields={"house_no": "1"}),
        op("survey", fields={"household_id": area.households[0].id, "kind": "someday",
                             "surveyed_on": thai_today().isoformat()}),
        op("survey", fields={"household_id": area.households[0].id, "kind": "baseline", "surveyed_on": "31/12/2026",
                             "annual_income": 1}),
        op("attendance", fields={**attend, "household_id": area.other_household.id}),
        op("attendance", "not-a-uuid", attend),
        op("household", area.other_household.id, {"note": "x"}, base_seq=1),
        op("household", area.households[0].id, action="explode"),
        op("household", new_id(), action="delete"),
        op("household", fields={**home, "note": {"nested": True}, "consent": "yes", "members": "4"}),
        op("attendance", fields=attend),  # the one good op
    ]
    results = push_ok(client, phone, ops)
    statuses = [r["status"] for r in results]
    assert statuses == ["rejected"] * 15 + ["applied"]
    assert _codes(results[0]) == [("entity", "unknown_entity")]
    assert _codes(results[1]) == [("colour", "invalid")]
    assert _codes(results[2]) == [("citizen_id", "invalid")]
    assert _codes(results[3]) == [("annual_income", "invalid"), ("members", "invalid")]
    assert _codes(results[4]) == [("village_id", "forbidden")]
    assert _codes(results[5]) == [("village_id", "unknown_reference")]
    assert ("village_id", "required") in _codes(results[6])
    assert _codes(results[7]) == [("kind", "invalid")]
    assert _codes(results[8]) == [("surveyed_on", "invalid")]
    assert _codes(results[9]) == [("household_id", "forbidden")]
    assert _codes(results[10]) == [("id", "invalid")]
    assert _codes(results[11]) == [("id", "forbidden")]
    assert _codes(results[12]) == [("action", "invalid")]
    assert _codes(results[13]) == [("id", "not_found")]
    assert {f for f, _ in _codes(results[14])} == {"note", "consent", "members"}
    message = results[2]["errors"][0]
    assert message["message_th"] and message["message_en"] and " / " in message["message"]
    # A rejected op is remembered: resending it returns the first answer.
    replay = push_ok(client, phone, ops[:1])
    assert replay[0]["status"] == "duplicate" and replay[0]["first_status"] == "rejected"
    assert replay[0]["errors"] == results[0]["errors"]


def test_officer_cannot_pull_or_change_another_area(client, engine, world):
    area, _ = world
    malee = sign_in(client, "malee")
    result = push_ok(client, malee, [op("household", area.households[0].id, {"note": "x"},
                                        base_seq=area.households[0].seq)])
    assert _codes(result[0]) == [("id", "forbidden")]
    with Session(engine) as s:
        assert s.get(Household, area.households[0].id).note is None


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("body", [DEEP, b'{"schema": 1, "ops": [{"fields": {"note": ' + DEEP + b"}}]}"],
                         ids=["bare", "inside an op"])
def test_json_nested_100k_deep_on_push_is_400_before_it_is_parsed(client, engine, world, body):
    _, phone = world
    before = _stored(engine)
    response = _raw(client, phone, body)
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"] == "invalid_request" and "nested" in response.json()["message"]
    gzipped = _raw(client, phone, gzip.compress(body), **{"Content-Encoding": "gzip"})
    assert gzipped.status_code == 400
    assert _stored(engine) == before


def test_json_nested_deep_on_the_open_sign_in_is_a_4xx_before_it_is_parsed(client):
    # 5,000 levels fit the sign-in's few kilobytes (and are far past the parser's recursion limit).
    response = client.post("/api/auth/token", content=b'{"username": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"] == "invalid_request"
    deeper = client.post("/api/auth/token", content=b'{"username": ' + DEEP + b"}",
                         headers={"Content-Type": "application/json"})
    assert deeper.status_code == 413 and deeper.json()["error"] == "too_large"
    big = client.post("/api/auth/token", content=b'{"username": "' + b"x" * 100_000 + b'"}',
                      headers={"Content-Type": "application/json"})
    assert big.status_code == 413 and big.json()["error"] == "too_large"


def test_brackets_inside_strings_are_text_not_depth(client, engine, world):
    area, phone = world
    household = area.households[0]
    note = '[{"[' * 200 + '\\"]'
    results = push_ok(client, phone, [op("household", household.id, {"note": note}, base_seq=household.seq)])
    assert results[0]["status"] == "applied"
    assert client.post("/api/auth/token", json={"username": "[[[[" * 40, "password": "{" * 100,
                                                "device_name": "x"}).status_code == 401


def _cursor(**values) -> str:
    raw = json.dumps({"v": 1, "a": None, "t": {}, **values}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("values", [{"s": 2**63}, {"s": 0, "d": 2**63}, {"s": 10**40}],
                         ids=["seq 2^63", "told 2^63", "seq 10^40"])
def test_a_cursor_with_a_number_past_64_bits_is_invalid_cursor(client, world, values):
    _, phone = world
    response = client.get("/api/sync/pull", params={"cursor": _cursor(**values)}, headers=phone)
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"] == "invalid_cursor"
