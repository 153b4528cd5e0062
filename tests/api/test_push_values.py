"""Pushed values: a null where a value is required, a value of the wrong type, a date that is not
`YYYY-MM-DD`, a base_seq from the future and odd device clocks are answered for that op alone."""
import pytest
from sqlmodel import Session, select

from server.models import AuditEntry, Household, Sage
from tests.sync.helpers import make_area, new_id, op, pull_all, push, push_ok, sign_in
from server.program.rules import thai_today


@pytest.fixture
def world(client, engine):
    with Session(engine, expire_on_commit=False) as s:
        area = make_area(s)
    return area, sign_in(client, "somchai")


def _household(engine, household_id):
    with Session(engine) as s:
        return s.get(Household, household_id)


def _codes(result):
    return {(e["field"], e["code"]) for e in result.get("errors", [])}


@pytest.mark.parametrize("fields", [{"consent": None}, {"members": None}, {"annual_income": None}])
def test_a_null_for_a_not_null_household_field_rejects_that_op_only(client, engine, world, fields):
    area, phone = world
    village = area.villages[0].id
    household = area.households[0]
    good = new_id()
    results = push_ok(client, phone, [
        op("household", fields={"village_id": village, "house_no": "1", "head_name": "ก", **fields}),
        op("household", household.id, fields, base_seq=household.seq),
        op("household", good, {"village_id": village, "house_no": "2", "head_name": "ข"}),
    ])
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    (name,) = fields
    for result in results[:2]:
        assert _codes(result) & {(name, "required"), (name, "invalid")}
    assert _household(engine, good) is not None
    assert getattr(_household(engine, household.id), name) is not None


def test_sage_skills_are_never_null(client, engine, world):
    area, phone = world
    village = area.villages[0].id
    sage_id = new_id()
    created = push_ok(client, phone, [
        op("sage", fields={"village_id": village, "name": "ปราชญ์", "skills": None}),
        op("sage", sage_id, {"village_id": village, "name": "ปราชญ์ดี"}),
    ])
    assert [r["status"] for r in created] == ["rejected", "applied"]
    assert ("skills", "required") in _codes(created[0])
    (update,) = push_ok(client, phone, [op("sage", sage_id, {"skills": None}, base_seq=created[1]["seq"])])
    assert update["status"] == "rejected"
    with Session(engine) as s:
        assert s.get(Sage, sage_id).skills == []
    changes, _ = pull_all(client, phone)
    assert all(c["fields"]["skills"] is not None for c in changes if c["entity"] == "sage")


@pytest.mark.parametrize("value", [20261124, "2026-W48-2", "2026-11-24T10:00:00", "2026-329", "20261124",
                                   "๒๐๒๖-๑๑-๒๔", "2026-02-30", "1899-12-31", "2569-11-24", "", True, ["2026-11-24"]])
def test_dates_are_only_iso_calendar_dates_within_sane_years(client, engine, world, value):
    area, phone = world
    household = area.households[0].id
    results = push_ok(client, phone, [
        op("survey", fields={"household_id": household, "kind": "baseline", "surveyed_on": value}),
        op("sage", fields={"village_id": area.villages[0].id, "name": "ปราชญ์", "workshop_date": value}),
        op("survey", fields={"household_id": household, "kind": "follow_up_3m", "surveyed_on": thai_today().isoformat(),
                             "income_unknown": True}),
    ])
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"], results
    assert ("surveyed_on", "invalid") in _codes(results[0])
    assert ("workshop_date", "invalid") in _codes(results[1])


@pytest.mark.parametrize("fields", [
    {"annual_income": 10**30}, {"trade_income_month": -(2**63)}, {"annual_income": 1.5},
    {"practising_trade": "yes"}, {"note": {"a": 1}}, {"note": "\x00"}, {"kind": None}, {"kind": ["baseline"]},
])
def test_values_of_the_wrong_kind_are_rejected_not_a_server_error(client, engine, world, fields):
    area, phone = world
    base = {"household_id": area.households[0].id, "kind": "baseline", "surveyed_on": thai_today().isoformat(),
            "annual_income": 1}
    response = push(client, phone, [op("survey", fields={**base, **fields}),
                                    op("survey", fields={**base, "kind": "follow_up_6m"})])
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["rejected", "applied"]


def test_a_base_seq_from_the_future_or_negative_is_rejected_not_merged(client, engine, world):
    area, phone = world
    household = area.households[0]
    other = sign_in(client, "somchai", "other phone")
    (first,) = push_ok(client, other, [op("household", household.id, {"note": "ของจริง"}, base_seq=household.seq)])
    latest = first["seq"]
    results = push_ok(client, phone, [
        op("household", household.id, {"note": "ทับ"}, base_seq=latest + 1000),
        op("household", household.id, {"note": "ทับ"}, base_seq=-1),
        op("household", household.id, action="delete", base_seq=latest + 1000),
        op("household", household.id, {"phone": "0811111111"}, base_seq=latest),
    ])
    assert [r["status"] for r in results] == ["rejected", "rejected", "rejected", "applied"]
    for result in results[:3]:
        assert ("base_seq", "invalid") in _codes(result)
    stored = _household(engine, household.id)
    assert stored.note == "ของจริง" and not stored.deleted and stored.phone == "0811111111"


def test_device_clocks_never_reject_an_op_and_skew_is_flagged_when_it_can_be_measured(client, engine, world):
    area, phone = world
    household = area.households[0]
    results = push_ok(client, phone, [
        op("household", household.id, {"note": "ไม่มีเขตเวลา"}, base_seq=household.seq, captured_at="2020-01-01T09:15:00"),
        op("household", household.id, {"note": "อ่านไม่ออก"}, base_seq=household.seq, captured_at="เมื่อเช้า"),
        op("household", household.id, {"note": "เขตเวลาผิด"}, base_seq=household.seq, captured_at="2026-11-24T09:15:00+25:00"),
        op("household", household.id, {"note": "ปลายปฏิทิน"}, base_seq=household.seq, captured_at="9999-12-31T23:59:59-14:00"),
        op("household", household.id, {"members": 0}, base_seq=household.seq, captured_at="2020-01-01T09:15:00+07:00"),
    ])
    assert [r["status"] for r in results] == ["applied"] * 4 + ["rejected"]
    assert "clock_skew" not in results[0]
    assert all(r.get("clock_skew") is True for r in results[1:])
    with Session(engine) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.record_id == household.id)).all()
    kept = {e.detail.get("captured_at") for e in entries}
    assert {"2020-01-01T09:15:00", "เมื่อเช้า"} <= kept
