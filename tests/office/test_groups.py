"""Occupation groups: formed from trained households, committee roles, 5 ก scoring with history."""
import datetime as dt

from sqlmodel import Session, select

from server.models import FiveKAssessment, GroupMember, OccupationGroup
from tests.foundation.helpers import post_form
from tests.office.test_trainings import plan, the_training


def _trained(north, world, engine):
    plan(north, world)
    training, _ = the_training(engine)
    chosen = [world.households[k] for k in ("h1", "h2", "h3")]
    post_form(north, f"/trainings/{training.id}/select", {"selected": chosen, "seq": "0"})
    return chosen


def _group(north, world, members):
    return post_form(north, "/groups", {"village_id": world.villages["34140101"], "name": "กลุ่มทดสอบปลูกผัก",
                                        "category": "agriculture", "occupation": "orchard",
                                        "registered_on": "01/02/2570", "fund_balance": "1,500", "members": members},
                     follow_redirects=False)


def test_a_group_is_formed_only_from_trained_households(north, world, engine):
    chosen = _trained(north, world, engine)
    untrained = world.households["h6"]
    refused = _group(north, world, [untrained])
    assert refused.status_code == 422 and "อย่างน้อยหนึ่งครัวเรือน" in refused.text
    created = _group(north, world, chosen + [untrained])
    assert created.status_code in (302, 303)
    with Session(engine) as db:
        group = db.exec(select(OccupationGroup)).one()
        assert group.registered_on == dt.date(2027, 2, 1) and group.fund_balance == 1500 and group.seq > 0
        members = {m.household_id for m in db.exec(select(GroupMember))}
    assert members == set(chosen)


def test_committee_roles_allow_one_chair(north, world, engine):
    chosen = _trained(north, world, engine)
    group_url = _group(north, world, chosen).headers["location"]
    with Session(engine) as db:
        members = db.exec(select(GroupMember)).all()
    two_chairs = {f"role_{m.id}": "chair" for m in members[:2]}
    refused = post_form(north, f"{group_url}/members", two_chairs)
    assert refused.status_code == 422 and "ตำแหน่งละหนึ่งคน" in refused.text
    ok = post_form(north, f"{group_url}/members", {f"role_{members[0].id}": "chair",
                                                    f"role_{members[1].id}": "treasurer"}, follow_redirects=False)
    assert ok.status_code in (302, 303)
    with Session(engine) as db:
        assert db.get(GroupMember, members[0].id).role == "chair"


def test_five_k_scores_are_kept_as_history(north, world, engine):
    chosen = _trained(north, world, engine)
    group_url = _group(north, world, chosen).headers["location"]
    first = post_form(north, f"{group_url}/assessments", {"assessed_on": "01/03/2569", "scores": ["members", "committee"],
                                                          "notes": "เริ่มต้น"}, follow_redirects=False)
    assert first.status_code in (302, 303)
    post_form(north, f"{group_url}/assessments", {"assessed_on": "01/06/2569",
                                                  "scores": ["members", "committee", "rules", "activities", "fund"]})
    missing_date = post_form(north, f"{group_url}/assessments", {"assessed_on": "", "scores": ["members"]})
    assert missing_date.status_code == 422
    with Session(engine) as db:
        history = db.exec(select(FiveKAssessment).order_by(FiveKAssessment.assessed_on)).all()
    assert [sum(a.scores.values()) for a in history] == [2, 5]
    assert history[0].scores == {"members": True, "committee": True, "rules": False, "activities": False,
                                 "fund": False}
    page = north.get(group_url).text
    assert "2/5" in page and "5/5" in page and "1 มี.ค. 2569" in page


def test_the_category_and_trade_come_from_the_configured_lists(north, world, engine):
    chosen = _trained(north, world, engine)
    refused = post_form(north, "/groups", {"village_id": world.villages["34140101"], "name": "กลุ่มแปลก",
                                           "category": "made_up", "occupation": "not_a_trade", "members": chosen})
    assert refused.status_code == 422 and "เลือกประเภทกลุ่ม" in refused.text
    group_url = _group(north, world, chosen).headers["location"]
    with Session(engine) as db:
        group = db.exec(select(OccupationGroup)).one()
    edit = {"name": group.name, "category": "made_up", "occupation": "orchard", "seq": str(group.seq)}
    assert post_form(north, group_url, edit).status_code == 422
    edit.update(category="agriculture", occupation="not_a_trade")
    assert post_form(north, group_url, edit).status_code == 422
    with Session(engine) as db:
        assert db.get(OccupationGroup, group.id).category == "agriculture"
        assert db.get(OccupationGroup, group.id).occupation == "orchard"


def test_a_new_member_cannot_take_a_committee_role_already_held(north, world, engine):
    chosen = _trained(north, world, engine)
    group_url = _group(north, world, chosen[:2]).headers["location"]
    with Session(engine) as db:
        first = db.exec(select(GroupMember)).first()
    post_form(north, f"{group_url}/members", {f"role_{first.id}": "chair"})
    with Session(engine) as db:
        seq = db.exec(select(OccupationGroup)).one().seq
    second_chair = post_form(north, f"{group_url}/members", {"household_id": chosen[2], "new_role": "chair",
                                                             "seq": str(seq)})
    assert second_chair.status_code == 422 and "ตำแหน่งละหนึ่งคน" in second_chair.text
    as_treasurer = post_form(north, f"{group_url}/members", {"household_id": chosen[2], "new_role": "treasurer",
                                                             "seq": str(seq)}, follow_redirects=False)
    assert as_treasurer.status_code in (302, 303)
    with Session(engine) as db:
        roles = sorted(m.role for m in db.exec(select(GroupMember)))
    assert roles == ["chair", "member", "treasurer"]


def test_the_members_form_refuses_a_stale_save(north, world, engine):
    chosen = _trained(north, world, engine)
    group_url = _group(north, world, chosen[:2]).headers["location"]
    with Session(engine) as db:
        seq = db.exec(select(OccupationGroup)).one().seq
    post_form(north, f"{group_url}/members", {"household_id": chosen[2], "seq": str(seq)})
    stale = post_form(north, f"{group_url}/members", {"remove": [], "household_id": "", "seq": str(seq)})
    assert stale.status_code == 409
    with Session(engine) as db:
        assert len(db.exec(select(GroupMember)).all()) == 3
