"""Pull: the user's area only, in seq order, each record once, with reference data and a cursor."""
from sqlmodel import Session

from tests.sync.helpers import make_area, op, pull_all, push_ok, sign_in


def _setup(client, engine):
    with Session(engine, expire_on_commit=False) as s:
        area = make_area(s, households=4)
    return area


def test_pull_pages_through_the_area_in_seq_order_and_resumes(client, engine):
    area = _setup(client, engine)
    phone = sign_in(client, "somchai")
    changes, cursor = pull_all(client, phone, limit=3)
    ids = {c["id"] for c in changes if c["entity"] != "occupation"}
    assert {h.id for h in area.households} <= ids
    assert area.other_household.id not in ids and area.other_village.id not in ids
    seqs = [c["seq"] for c in changes if c["entity"] != "occupation"]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    session_change = next(c for c in changes if c["entity"] == "session")
    assert session_change["fields"]["day"] in range(1, 6) and session_change["fields"]["date"].startswith("2026-")
    assert session_change["fields"]["village_id"] == area.villages[0].id
    village = next(c for c in changes if c["entity"] == "village")
    assert village["fields"]["name"] and village["fields"]["code"]

    result = push_ok(client, phone, [op("household", area.households[0].id, {"note": "ใหม่"},
                                        base_seq=area.households[0].seq)])
    more, cursor2 = pull_all(client, phone, cursor)
    assert [(c["id"], c["seq"], c["fields"]["note"]) for c in more] == [(area.households[0].id, result[0]["seq"], "ใหม่")]
    again, _ = pull_all(client, phone, cursor2)
    assert again == []


def test_each_record_appears_once_in_its_latest_state(client, engine):
    area = _setup(client, engine)
    phone = sign_in(client, "somchai")
    household = area.households[1]
    seq = household.seq
    for note in ("a", "b", "c"):
        seq = push_ok(client, phone, [op("household", household.id, {"note": note}, base_seq=seq)])[0]["seq"]
    changes, _ = pull_all(client, phone)
    mine = [c for c in changes if c["id"] == household.id]
    assert len(mine) == 1 and mine[0]["fields"]["note"] == "c" and mine[0]["seq"] == seq


def test_supervisor_sees_the_district_and_admin_everything(client, engine):
    area = _setup(client, engine)
    boss_changes, _ = pull_all(client, sign_in(client, "boss"))
    assert area.other_household.id in {c["id"] for c in boss_changes}
    root_changes, _ = pull_all(client, sign_in(client, "root"))
    assert {c["id"] for c in boss_changes} == {c["id"] for c in root_changes}


def test_bad_cursor_and_limit_are_400(client, engine):
    _setup(client, engine)
    phone = sign_in(client, "somchai")
    bad = client.get("/api/sync/pull", params={"cursor": "not-a-cursor"}, headers=phone)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_cursor"
    assert client.get("/api/sync/pull", params={"limit": 0}, headers=phone).status_code == 400
    assert client.get("/api/sync/pull", params={"limit": 1001}, headers=phone).status_code == 400
    assert client.get("/api/sync/pull", params={"limit": "x"}, headers=phone).status_code == 400


def test_occupations_come_on_the_first_page_and_when_they_change(client, engine):
    from server.models import Occupation
    _setup(client, engine)
    phone = sign_in(client, "somchai")
    changes, cursor = pull_all(client, phone)
    first = {c["id"] for c in changes if c["entity"] == "occupation"}
    assert first and all(c["fields"]["name_th"] for c in changes if c["entity"] == "occupation")
    assert pull_all(client, phone, cursor)[0] == []
    with Session(engine) as s:
        s.add(Occupation(code="mushrooms_test", kind="trade", name_th="เพาะเห็ด", name_en="Mushrooms"))
        s.commit()
    later, _ = pull_all(client, phone, cursor)
    assert {c["id"] for c in later} == first | {"mushrooms_test"}
