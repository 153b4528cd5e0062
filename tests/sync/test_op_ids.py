"""An op_id is idempotent for its user: another user's device reusing it learns nothing and loses nothing."""
from sqlmodel import Session

from server.models import Household, SyncOp
from tests.sync.helpers import count, make_area, new_id, op, push_ok, sign_in


def test_an_op_id_reused_by_another_users_device_is_rejected_not_answered_with_the_first(client, engine):
    with Session(engine, expire_on_commit=False) as s:
        area = make_area(s)
    mine, theirs = area.households[0], area.other_household
    somchai, malee = sign_in(client, "somchai"), sign_in(client, "malee")
    first = op("household", mine.id, {"note": "ความลับของหมู่บ้าน"}, base_seq=mine.seq)
    (applied,) = push_ok(client, somchai, [first])
    assert applied["status"] == "applied"

    clash = op("household", theirs.id, {"note": "ของมาลี"}, base_seq=theirs.seq, op_id=first["op_id"])
    (answer,) = push_ok(client, malee, [clash])
    assert answer["status"] == "rejected" and answer["id"] == theirs.id and answer["seq"] is None
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [("op_id", "invalid")]
    assert "ความลับ" not in str(answer)
    with Session(engine) as s:
        assert s.get(Household, theirs.id).note != "ของมาลี"
        assert count(s, SyncOp) == 1
    # The same op under a new op_id goes through; the first device's replay is still a duplicate.
    (again,) = push_ok(client, malee, [{**clash, "op_id": new_id()}])
    assert again["status"] == "applied"
    (replay,) = push_ok(client, somchai, [first])
    assert replay["status"] == "duplicate" and replay["seq"] == applied["seq"]


def test_the_same_user_signed_in_again_replays_as_duplicate(client, engine):
    with Session(engine, expire_on_commit=False) as s:
        area = make_area(s)
    household = area.households[0]
    old_phone = sign_in(client, "somchai", "phone")
    pending = op("household", household.id, {"note": "ก่อนลงชื่อใหม่"}, base_seq=household.seq)
    (first,) = push_ok(client, old_phone, [pending])
    new_phone = sign_in(client, "somchai", "phone")  # the outbox survives a new sign-in (a new device id)
    (replay,) = push_ok(client, new_phone, [pending])
    assert replay["status"] == "duplicate" and replay["seq"] == first["seq"]


def test_an_op_id_sent_again_with_other_content_is_rejected_not_dropped_as_duplicate(client, engine):
    with Session(engine, expire_on_commit=False) as s:
        area = make_area(s)
    first_home, second_home = area.households[0], area.households[1]
    phone = sign_in(client, "somchai")
    first = op("household", first_home.id, {"note": "ครั้งแรก"}, base_seq=first_home.seq)
    (applied,) = push_ok(client, phone, [first])
    # The same content again (a resend) is a duplicate, whatever its clock says.
    (resend,) = push_ok(client, phone, [{**first, "captured_at": "2026-12-01T08:00:00+07:00"}])
    assert resend["status"] == "duplicate" and resend["seq"] == applied["seq"]

    other_fields = {**first, "fields": {"note": "เนื้อหาอื่น"}}
    other_record = op("household", second_home.id, {"note": "อีกหลัง"}, base_seq=second_home.seq,
                      op_id=first["op_id"])
    for reused in (other_fields, other_record):
        (answer,) = push_ok(client, phone, [reused])
        assert answer["status"] == "rejected" and answer["seq"] is None, answer
        assert [(e["field"], e["code"]) for e in answer["errors"]] == [("op_id", "invalid")]
    # Within one batch too: the second use of an op_id with other content is refused.
    fresh = op("household", second_home.id, {"note": "ชุดเดียว"}, base_seq=second_home.seq)
    results = push_ok(client, phone, [fresh, {**fresh, "fields": {"note": "แก้ในชุด"}}])
    assert [r["status"] for r in results] == ["applied", "rejected"]
    with Session(engine) as s:
        assert s.get(Household, first_home.id).note == "ครั้งแรก"
        assert s.get(Household, second_home.id).note == "ชุดเดียว"
    (replay,) = push_ok(client, phone, [first])
    assert replay["status"] == "duplicate"
