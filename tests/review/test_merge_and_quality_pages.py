"""Merging duplicate households through the sync engine, and the quality pages that find them."""
from __future__ import annotations

import re

from sqlmodel import Session, select

from server.models import Conflict, Household, Village
from tests.review.conftest import as_of, post
from tests.support.factories import make_household, valid_citizen_id
from tests.sync.helpers import op, pull_all, push_ok, sign_in
from server.program.rules import thai_today


def _phone_state(changes, state=None):
    """What a phone holds after applying pulled changes: {(entity, id): fields}, tombstones dropped."""
    state = dict(state or {})
    for change in changes:
        key = (change["entity"], change["id"])
        if change["deleted"]:
            state.pop(key, None)
        else:
            state[key] = change["fields"]
    return state


def test_merging_duplicates_moves_everything_to_the_survivor_and_phones_converge(client, area, office, engine):
    cid = valid_citizen_id(4242)
    with Session(engine, expire_on_commit=False) as db:
        keep = make_household(db, village_id=area.villages[0].id, citizen_id=cid, head_name="นางสาว มะลิ หอมดี")
        drop = make_household(db, village_id=area.villages[0].id, citizen_id=cid, head_name="นาง มะลิ หอมดี")
    phone_1 = sign_in(client, "somchai", "phone 1")
    day1, day2 = area.sessions[0], area.sessions[1]
    push_ok(client, phone_1, [
        op("enrollment", fields={"training_id": area.training.id, "household_id": drop.id}),
        op("attendance", fields={"session_id": day1.id, "household_id": drop.id, "present": True}),
        op("attendance", fields={"session_id": day2.id, "household_id": drop.id, "present": True}),
        op("attendance", fields={"session_id": day1.id, "household_id": keep.id, "present": False}),
        op("survey", fields={"household_id": drop.id, "kind": "baseline", "annual_income": 30_000,
                             "surveyed_on": thai_today().isoformat()}),
    ])
    held, cursor = pull_all(client, phone_1)
    boss = office("boss")

    found = boss.get("/review/quality/duplicate_citizen_ids")
    assert f"/review/merge?keep={keep.id}&amp;drop={drop.id}" in found.text
    preview = boss.get(f"/review/merge?keep={keep.id}&drop={drop.id}")
    assert "1 enrollments, 2 attendance marks, 1 surveys" in preview.text
    merged = post(boss, "/review/merge", {"keep": keep.id, "drop": drop.id, "as_of": as_of(preview.text)})
    assert merged.status_code == 200 and "The households are merged" in merged.text

    later, _ = pull_all(client, phone_1, cursor)
    phone_1_state = _phone_state(later, _phone_state(held))
    fresh, _ = pull_all(client, sign_in(client, "somchai", "phone 2"))
    assert phone_1_state == _phone_state(fresh)
    mine = {(e, f.get("session_id") or f.get("kind") or f.get("training_id")): f for (e, _), f in phone_1_state.items()
            if f.get("household_id") == keep.id}
    assert set(mine) == {("enrollment", area.training.id), ("attendance", day1.id), ("attendance", day2.id),
                         ("survey", "baseline")}
    assert not any(f.get("household_id") == drop.id for f in phone_1_state.values())
    assert ("household", drop.id) not in phone_1_state
    with Session(engine) as db:
        assert db.get(Household, drop.id).deleted
        # Day 1 was marked on both records: the survivor's mark stays, the other waits as a conflict.
        conflict = db.exec(select(Conflict).where(Conflict.status == "open")).one()
        assert (conflict.entity, conflict.field, conflict.kept, conflict.other) == ("attendance", "present", False, True)


def test_a_merge_is_refused_when_a_household_changed_after_the_preview(client, area, office, engine):
    with Session(engine, expire_on_commit=False) as db:
        keep = make_household(db, village_id=area.villages[0].id, house_no="8")
        drop = make_household(db, village_id=area.villages[0].id, house_no="8")
    boss = office("boss")
    preview = boss.get(f"/review/merge?keep={keep.id}&drop={drop.id}")
    phone = sign_in(client, "somchai", "phone")
    push_ok(client, phone, [op("household", drop.id, {"phone": "0811111111"}, base_seq=drop.seq)])

    late = post(boss, "/review/merge", {"keep": keep.id, "drop": drop.id, "as_of": as_of(preview.text)})

    assert late.status_code == 409 and "changed after the preview" in late.text
    with Session(engine) as db:
        assert not db.get(Household, drop.id).deleted


def test_quality_and_merge_pages_stay_in_the_area(client, area, office, engine):
    with Session(engine, expire_on_commit=False) as db:
        keep = make_household(db, village_id=area.villages[0].id, house_no="8")
        drop = make_household(db, village_id=area.villages[0].id, house_no="8")
    boss, elsewhere = office("boss"), office("elsewhere")

    summary = boss.get("/review/quality")
    assert summary.status_code == 200
    assert re.search(r'data-rule="duplicate_house_numbers">.*?data-count="2"', summary.text, re.S)
    assert re.search(r'data-rule="duplicate_house_numbers">.*?data-count="0"',
                     elsewhere.get("/review/quality").text, re.S)
    assert elsewhere.get(f"/review/merge?keep={keep.id}&drop={drop.id}").status_code == 404
    assert post(elsewhere, "/review/merge", {"keep": keep.id, "drop": drop.id, "as_of": 10**6}).status_code == 404
    assert boss.get("/review/quality/no_such_rule").status_code == 404
    assert boss.get(f"/review/merge?keep={keep.id}&drop={keep.id}").status_code == 404
    assert boss.get("/review/merge?keep=x&drop=y").status_code == 404
    assert office("somchai").get("/review/quality").status_code == 403
    with Session(engine) as db:
        assert not db.get(Household, drop.id).deleted


def test_an_admin_checks_quality_one_district_at_a_time(client, area, office, engine):
    with Session(engine, expire_on_commit=False) as db:
        make_household(db, village_id=area.villages[0].id, house_no="8")
        make_household(db, village_id=area.villages[0].id, house_no="8")
        district = db.get(Village, area.villages[0].id).subdistrict_code[:4]
    root = office("root")
    unchosen = root.get("/review/quality")
    assert unchosen.status_code == 200 and "data-count" not in unchosen.text  # nothing read yet
    assert "choose a district to check" in unchosen.text  # (this admin reads English)
    chosen = root.get(f"/review/quality?district={district}")
    assert re.search(r'data-rule="duplicate_house_numbers">.*?data-count="2"', chosen.text, re.S)
    assert f'href="/review/quality/duplicate_house_numbers?district={district}"' in chosen.text
    found = root.get(f"/review/quality/duplicate_house_numbers?district={district}")
    assert 'data-total="2"' in found.text
    assert root.get("/review/quality/duplicate_house_numbers", follow_redirects=False).status_code in (302, 303)
    wrong = root.get("/review/quality?district=99x9")
    assert wrong.status_code == 400 and "There is no district with this code" in wrong.text
    assert 'value="99x9"' in wrong.text  # what was typed stays to be corrected
