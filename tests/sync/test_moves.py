"""A household that moves to another village takes its enrollments, attendance and surveys along, and
the supervisors' tasks on them."""
from litestar.testing import TestClient
from sqlalchemy import select
from sqlmodel import Session

from server.models import ChangeFeed, Enrollment, Household, ReviewTask, User
from server.review.tasks import open_task
from tests.foundation.helpers import post_form, sign_in as office_sign_in
from tests.support.factories import DEFAULT_PASSWORD
from tests.sync.helpers import make_area, new_id, op, pull_all, push_ok, sign_in
from server.program.rules import thai_today

DEPENDENTS = ("enrollment", "attendance", "survey")


def _household_with_dependents(client, engine):
    """somchai's household in village 0 with an enrollment, an attendance and a survey."""
    with Session(engine, expire_on_commit=False) as s:
        area = make_area(s)
    household = area.households[0]
    phone = sign_in(client, "somchai")
    ids = {name: new_id() for name in DEPENDENTS}
    results = push_ok(client, phone, [
        op("enrollment", ids["enrollment"], {"training_id": area.training.id, "household_id": household.id}),
        op("attendance", ids["attendance"], {"session_id": area.sessions[0].id, "household_id": household.id,
                                              "present": True}),
        op("survey", ids["survey"], {"household_id": household.id, "kind": "baseline", "annual_income": 50_000,
                                     "surveyed_on": thai_today().isoformat()}),
    ])
    assert [r["status"] for r in results] == ["applied"] * 3
    with Session(engine) as s:  # a supervisor sent the household and its survey back to be fixed
        root = s.exec(select(User).where(User.username == "root")).scalars().one()
        for entity in ("household", "survey"):
            record_id = household.id if entity == "household" else ids["survey"]
            ids[f"task_{entity}"] = open_task(s, root, entity=entity, record_id=record_id, note="ตรวจอีกครั้ง").id
        s.commit()
    return area, household, phone, ids


def _feed(engine, ids):
    with Session(engine) as s:
        return {row.record_id: (row.village_id, row.seq)
                for row in s.exec(select(ChangeFeed).where(ChangeFeed.record_id.in_(list(ids)))).scalars()}


def _check_moved(client, engine, area, household, ids, somchai, malee, malee_cursor, somchai_cursor):
    target = area.villages[2].id
    feed = _feed(engine, [household.id, *ids.values()])
    assert {village for village, _ in feed.values()} == {target}
    with Session(engine) as s:
        assert {s.get(ReviewTask, ids[k]).village_id for k in ("task_household", "task_survey")} == {target}

    # The new area's phone, from where it was, now gets the household and all three dependents.
    changes, _ = pull_all(client, malee, malee_cursor)
    got = {c["id"]: c for c in changes}
    assert set(ids.values()) | {household.id} <= set(got)
    assert got[household.id]["fields"]["village_id"] == target
    seqs = [c["seq"] for c in changes]
    assert seqs == sorted(seqs)
    for record_id in ids.values():  # the change's seq is the record's, and the feed's
        assert got[record_id]["seq"] == feed[record_id][1]
    # The old area's phone is told once that they left its area, with no values; a new phone of the
    # old area never hears of them.
    moved = set(ids.values()) | {household.id}
    later, after = pull_all(client, somchai, somchai_cursor)
    told = [c for c in later if c["id"] in moved]
    assert sorted(c["id"] for c in told) == sorted(moved)
    assert all(c["deleted"] and c["reason"] == "out_of_area" and c["fields"] == {} for c in told)
    assert pull_all(client, somchai, after)[0] == []
    fresh, _ = pull_all(client, sign_in(client, "somchai", "new phone"))
    assert not ({c["id"] for c in fresh} & moved)


def test_a_household_moved_by_a_push_takes_its_dependents_to_the_new_area(client, engine):
    area, household, somchai, ids = _household_with_dependents(client, engine)
    malee = sign_in(client, "malee")
    _, malee_cursor = pull_all(client, malee)
    _, somchai_cursor = pull_all(client, somchai)
    with Session(engine) as s:
        seq = s.get(Household, household.id).seq
    root = sign_in(client, "root")

    (result,) = push_ok(client, root, [op("household", household.id, {"village_id": area.villages[2].id},
                                          base_seq=seq)])
    assert result["status"] == "applied"

    _check_moved(client, engine, area, household, ids, somchai, malee, malee_cursor, somchai_cursor)
    # The new area's officer may now work on them; the old one may not.
    (edit,) = push_ok(client, malee, [op("survey", ids["survey"], {"note": "ย้ายมา"}, base_seq=result["seq"])])
    assert edit["status"] == "applied"
    (refused,) = push_ok(client, somchai, [op("survey", ids["survey"], {"note": "x"})])
    assert refused["status"] == "rejected" and refused["errors"][0]["code"] == "forbidden"


def test_a_household_moved_and_its_dependents_edited_in_one_batch(client, engine):
    area, household, somchai, ids = _household_with_dependents(client, engine)
    malee = sign_in(client, "malee")
    _, malee_cursor = pull_all(client, malee)
    _, somchai_cursor = pull_all(client, somchai)
    root = sign_in(client, "root")
    with Session(engine) as s:
        seq = s.get(Household, household.id).seq
    results = push_ok(client, root, [
        op("attendance", ids["attendance"], {"note": "ก่อนย้าย"}),
        op("household", household.id, {"village_id": area.villages[2].id}, base_seq=seq),
        op("survey", ids["survey"], {"note": "หลังย้าย"}),
    ])
    assert [r["status"] for r in results] == ["applied"] * 3
    _check_moved(client, engine, area, household, ids, somchai, malee, malee_cursor, somchai_cursor)


def test_a_household_moved_in_the_office_takes_its_dependents_to_the_new_area(client, engine):
    area, household, somchai, ids = _household_with_dependents(client, engine)
    malee = sign_in(client, "malee")
    _, malee_cursor = pull_all(client, malee)
    _, somchai_cursor = pull_all(client, somchai)
    with Session(engine) as s:
        current = s.get(Household, household.id)
        form = {"village_id": area.villages[2].id, "house_no": current.house_no, "head_name": current.head_name,
                "members": str(current.members), "annual_income": str(current.annual_income), "consent": "1",
                "seq": str(current.seq)}
    with TestClient(client.app, base_url="http://testserver.local") as office:
        office_sign_in(office, "root", DEFAULT_PASSWORD)
        response = post_form(office, f"/households/{household.id}", form, follow_redirects=False)
        assert response.status_code in (302, 303), response.text

    _check_moved(client, engine, area, household, ids, somchai, malee, malee_cursor, somchai_cursor)


def test_office_selection_feeds_enrollments_under_the_household_village(client, engine):
    with Session(engine, expire_on_commit=False) as s:
        area = make_area(s)
    with TestClient(client.app, base_url="http://testserver.local") as office:
        office_sign_in(office, "somchai", DEFAULT_PASSWORD)
        response = post_form(office, f"/trainings/{area.training.id}/select",
                             {"selected": [area.households[0].id]}, follow_redirects=False)
        assert response.status_code in (302, 303), response.text
    with Session(engine) as s:
        enrollment = s.exec(select(Enrollment)).scalars().one()
        row = s.get(ChangeFeed, ("enrollment", enrollment.id))
        household = s.get(Household, enrollment.household_id)
    assert row.village_id == household.village_id


def test_a_sage_moved_by_a_push_takes_the_supervisors_tasks_on_it(client, engine):
    with Session(engine, expire_on_commit=False) as s:
        area = make_area(s)
    somchai = sign_in(client, "somchai")
    sage_id = new_id()
    (created,) = push_ok(client, somchai, [op("sage", sage_id, {"village_id": area.villages[0].id,
                                                               "name": "นายปราชญ์ ย้ายบ้าน"})])
    assert created["status"] == "applied"
    with Session(engine) as s:
        root = s.exec(select(User).where(User.username == "root")).scalars().one()
        task_id = open_task(s, root, entity="sage", record_id=sage_id, note="ตรวจชื่ออีกครั้ง").id
        s.commit()
    malee = sign_in(client, "malee")
    _, malee_cursor = pull_all(client, malee)
    (moved,) = push_ok(client, sign_in(client, "root"), [op("sage", sage_id, {"village_id": area.villages[2].id},
                                                            base_seq=created["seq"])])
    assert moved["status"] == "applied"
    with Session(engine) as s:
        assert s.get(ReviewTask, task_id).village_id == area.villages[2].id
    later, _ = pull_all(client, malee, malee_cursor)
    assert task_id in {c["id"] for c in later if not c["deleted"]}
