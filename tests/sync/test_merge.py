"""Merging pushes from several phones: what is kept, what becomes a conflict, nothing lost."""
from sqlalchemy import event
from sqlmodel import Session, select

from server.models import Attendance, AuditEntry, Conflict, Household, SyncOp
from tests.sync.helpers import count, make_area, new_id, op, pull_all, push_ok, sign_in


def _area(engine):
    with Session(engine) as s:
        area = make_area(s)
        return area.sessions[0].id, area.households[0].id, area.households[0].seq


def _household(engine, household_id):
    with Session(engine) as s:
        return s.get(Household, household_id)


def test_replayed_batch_answers_duplicate_and_changes_nothing(client, engine):
    session_id, household_id, seq = _area(engine)
    phone = sign_in(client, "somchai")
    ops = [op("attendance", fields={"session_id": session_id, "household_id": household_id, "present": True}),
           op("household", household_id, {"note": "เลี้ยงไก่"}, base_seq=seq)]
    first = push_ok(client, phone, ops)
    with Session(engine) as s:
        before = (count(s, Attendance), count(s, AuditEntry), count(s, SyncOp), s.get(Household, household_id).seq)
    again = push_ok(client, phone, ops)
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert [(r["id"], r["seq"], r["first_status"]) for r in again] == [(r["id"], r["seq"], r["status"]) for r in first]
    with Session(engine) as s:
        after = (count(s, Attendance), count(s, AuditEntry), count(s, SyncOp), s.get(Household, household_id).seq)
    assert after == before


def test_lost_response_resent_converges_without_duplicates(client, engine):
    session_id, household_id, _ = _area(engine)
    phone = sign_in(client, "somchai")
    ops = [op("attendance", fields={"session_id": session_id, "household_id": household_id, "present": True})]
    push_ok(client, phone, ops)  # the phone never hears this answer
    ops.append(op("attendance", fields={"session_id": session_id, "household_id": household_id, "note": "มาสาย"}))
    results = push_ok(client, phone, ops)
    assert [r["status"] for r in results] == ["duplicate", "applied"]
    with Session(engine) as s:
        rows = s.exec(select(Attendance)).all()
    assert len(rows) == 1 and rows[0].present is True and rows[0].note == "มาสาย"


def test_two_phones_change_the_same_field_one_kept_other_held_in_conflict(client, engine):
    _, household_id, seq = _area(engine)
    phone_a, phone_b = sign_in(client, "somchai", "a"), sign_in(client, "somchai", "b")
    first = push_ok(client, phone_a, [op("household", household_id, {"annual_income": 90_000}, base_seq=seq)])
    second = push_ok(client, phone_b, [op("household", household_id, {"annual_income": 85_000}, base_seq=seq)])
    assert first[0]["status"] == "applied"
    assert second[0]["status"] == "conflict"
    (conflict,) = second[0]["conflicts"]
    assert (conflict["field"], conflict["kept"], conflict["other"]) == ("annual_income", 90_000, 85_000)
    assert _household(engine, household_id).annual_income == 90_000
    with Session(engine) as s:
        row = s.get(Conflict, conflict["conflict_id"])
    assert row.status == "open" and row.other == 85_000 and row.kept == 90_000
    assert row.kept_device_id != row.other_device_id and row.record_id == household_id


def test_two_phones_change_different_fields_both_kept(client, engine):
    _, household_id, seq = _area(engine)
    phone_a, phone_b = sign_in(client, "somchai", "a"), sign_in(client, "somchai", "b")
    push_ok(client, phone_a, [op("household", household_id, {"phone": "0812345678"}, base_seq=seq)])
    result = push_ok(client, phone_b, [op("household", household_id, {"members": 6}, base_seq=seq)])
    assert result[0]["status"] == "applied"
    household = _household(engine, household_id)
    assert (household.phone, household.members) == ("0812345678", 6)


def test_equal_values_are_no_conflict(client, engine):
    _, household_id, seq = _area(engine)
    phone_a, phone_b = sign_in(client, "somchai", "a"), sign_in(client, "somchai", "b")
    push_ok(client, phone_a, [op("household", household_id, {"members": 7}, base_seq=seq)])
    result = push_ok(client, phone_b, [op("household", household_id, {"members": 7}, base_seq=seq)])
    assert result[0]["status"] == "applied"


def test_same_phone_editing_one_field_twice_offline_is_no_conflict(client, engine):
    _, household_id, seq = _area(engine)
    phone = sign_in(client, "somchai")
    edits = [op("household", household_id, {"note": "first"}, base_seq=seq),
             op("household", household_id, {"note": "second"}, base_seq=seq)]
    push_ok(client, phone, edits[:1])
    result = push_ok(client, phone, edits[1:])
    assert result[0]["status"] == "applied"
    assert _household(engine, household_id).note == "second"


def test_office_edit_after_base_seq_conflicts_with_a_phone(client, engine):
    _, household_id, seq = _area(engine)
    from sync.changes import stamp_change
    with Session(engine) as s:
        household = s.get(Household, household_id)
        household.head_name = "นางแก้ไข ในสำนักงาน"
        stamp_change(s, household, entity="household", fields=["head_name"], village_id=household.village_id,
                     user_id=None)
        s.commit()
    phone = sign_in(client, "somchai")
    result = push_ok(client, phone, [op("household", household_id, {"head_name": "นางจาก มือถือ"}, base_seq=seq)])
    assert result[0]["status"] == "conflict"
    assert _household(engine, household_id).head_name == "นางแก้ไข ในสำนักงาน"


def test_delete_against_unseen_edit_keeps_record_and_holds_the_delete(client, engine):
    _, household_id, seq = _area(engine)
    phone_a, phone_b = sign_in(client, "somchai", "a"), sign_in(client, "somchai", "b")
    push_ok(client, phone_a, [op("household", household_id, {"note": "still here"}, base_seq=seq)])
    result = push_ok(client, phone_b, [op("household", household_id, action="delete", base_seq=seq)])
    assert result[0]["status"] == "conflict"
    assert result[0]["conflicts"][0]["field"] == "_deleted"
    household = _household(engine, household_id)
    assert household.deleted is False and household.note == "still here"
    with Session(engine) as s:
        row = s.get(Conflict, result[0]["conflicts"][0]["conflict_id"])
    assert row.field == "_deleted" and row.other is True and row.status == "open"


def test_delete_leaves_a_tombstone_that_pulls_and_refuses_later_edits(client, engine):
    _, household_id, seq = _area(engine)
    phone_a, phone_b = sign_in(client, "somchai", "a"), sign_in(client, "somchai", "b")
    deleted = push_ok(client, phone_a, [op("household", household_id, action="delete", base_seq=seq)])
    assert deleted[0]["status"] == "applied" and deleted[0]["seq"] > seq
    late = push_ok(client, phone_b, [op("household", household_id, {"note": "late"}, base_seq=seq)])
    assert late[0]["status"] == "rejected" and late[0]["errors"][0]["code"] == "deleted"
    changes, _ = pull_all(client, phone_b)
    (tombstone,) = [c for c in changes if c["id"] == household_id]
    assert tombstone["deleted"] is True and tombstone["seq"] == deleted[0]["seq"]


def test_second_phone_attendance_for_same_session_and_household_merges_by_natural_key(client, engine):
    session_id, household_id, _ = _area(engine)
    phone_a, phone_b = sign_in(client, "somchai", "a"), sign_in(client, "somchai", "b")
    first = push_ok(client, phone_a, [op("attendance", fields={"session_id": session_id,
                                                               "household_id": household_id, "present": True})])
    mine = new_id()
    second = push_ok(client, phone_b, [op("attendance", mine, {"session_id": session_id,
                                                              "household_id": household_id, "present": True,
                                                              "note": "พาลูกมาด้วย"})])
    assert second[0]["status"] == "applied"
    assert second[0]["id"] == first[0]["id"] != mine
    with Session(engine) as s:
        rows = s.exec(select(Attendance)).all()
    assert len(rows) == 1 and rows[0].note == "พาลูกมาด้วย"


def test_records_are_found_by_natural_key_through_its_index_and_only_those_asked(client, engine):
    with Session(engine) as s:
        area = make_area(s, households=2)
        days = [day.id for day in area.sessions[:2]]
        homes = [home.id for home in area.households]
    phone = sign_in(client, "somchai")
    every = push_ok(client, phone, [op("attendance", fields={"session_id": day, "household_id": home, "present": False})
                                    for day in days for home in homes])
    statements: list[tuple] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "attendance" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        # Two of the four pairs: the lookup by key parts also matches the other two, which must stay untouched.
        again = push_ok(client, phone, [op("attendance", fields={"session_id": days[0], "household_id": homes[0], "present": True}),
                                        op("attendance", fields={"session_id": days[1], "household_id": homes[1], "present": True})])
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [r["id"] for r in again] == [every[0]["id"], every[3]["id"]]
    with Session(engine) as s:
        present = {(a.session_id, a.household_id): a.present for a in s.exec(select(Attendance))}
    assert present == {(days[0], homes[0]): True, (days[0], homes[1]): False,
                       (days[1], homes[0]): False, (days[1], homes[1]): True}
    if engine.dialect.name == "sqlite":  # PostgreSQL's planner reads a table this small whole either way
        with engine.connect() as conn:
            plans = [" ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
                     for statement, parameters in statements]
        assert plans and not [plan for plan in plans if "SCAN attendance" in plan]


def test_natural_key_merge_with_different_value_is_a_conflict(client, engine):
    session_id, household_id, _ = _area(engine)
    phone_a, phone_b = sign_in(client, "somchai", "a"), sign_in(client, "somchai", "b")
    push_ok(client, phone_a, [op("attendance", fields={"session_id": session_id, "household_id": household_id,
                                                       "present": True})])
    second = push_ok(client, phone_b, [op("attendance", fields={"session_id": session_id,
                                                                "household_id": household_id, "present": False})])
    assert second[0]["status"] == "conflict"
    assert second[0]["conflicts"][0]["kept"] is True and second[0]["conflicts"][0]["other"] is False


def test_household_created_and_attended_in_one_batch(client, engine):
    session_id, _, _ = _area(engine)
    with Session(engine) as s:
        from server.models import Village
        village_id = s.exec(select(Village.id).where(Village.code == "34140101")).one()
    phone = sign_in(client, "somchai")
    household_id = new_id()
    results = push_ok(client, phone, [
        op("household", household_id, {"village_id": village_id, "house_no": "99", "head_name": "นายใหม่ มาก่อน",
                                       "citizen_id": "1-1000-00000-01-6",
                                       "members": 3, "annual_income": 30_000}),
        op("attendance", fields={"session_id": session_id, "household_id": household_id, "present": True}),
        op("survey", fields={"household_id": household_id, "kind": "baseline", "surveyed_on": "2026-11-20",
                             "annual_income": 30_000}),
    ])
    assert [r["status"] for r in results] == ["applied"] * 3, results
    assert results[0]["seq"] < results[1]["seq"] < results[2]["seq"]


def test_clock_skew_is_flagged_in_answer_and_audit(client, engine):
    _, household_id, seq = _area(engine)
    phone = sign_in(client, "somchai")
    result = push_ok(client, phone, [op("household", household_id, {"note": "x"}, base_seq=seq,
                                        captured_at="2020-01-01T09:00:00+07:00")])
    assert result[0]["status"] == "applied" and result[0]["clock_skew"] is True
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.record_id == household_id,
                                                AuditEntry.action == "update")).one()
    assert entry.detail["clock_skew"] is True and entry.detail["captured_at"].startswith("2020-01-01")
