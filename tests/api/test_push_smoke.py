from sqlmodel import Session

from server.models import Attendance
from tests.sync.helpers import count, make_area, op, pull_all, push_ok, sign_in


def test_new_attendance_is_applied_and_pulled(client, engine):
    with Session(engine) as s:
        area = make_area(s)
        session_id, household_id = area.sessions[0].id, area.households[0].id
    phone = sign_in(client, "somchai")
    results = push_ok(client, phone, [op("attendance", fields={"session_id": session_id,
                                                               "household_id": household_id, "present": True})])
    assert results[0]["status"] == "applied", results
    with Session(engine) as s:
        assert count(s, Attendance) == 1
    changes, _ = pull_all(client, phone)
    kinds = {c["entity"] for c in changes}
    assert {"attendance", "household", "village", "training", "session", "occupation"} <= kinds | {"occupation"}
