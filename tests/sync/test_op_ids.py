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
