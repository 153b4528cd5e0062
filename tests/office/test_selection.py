"""Target selection: lowest income per person first, N at most, a reason to pass over a poorer household."""
from sqlmodel import Session, select

from server.models import AppSetting, Enrollment, Household
from server.program.rules import check_selection, rank_candidates
from tests.foundation.helpers import post_form
from tests.office.test_trainings import plan, the_training


def _setup(north, world, engine, limit=3):
    with Session(engine) as db:
        db.merge(AppSetting(key="households_per_village", value=str(limit)))
        db.commit()
    plan(north, world)
    training, _sessions = the_training(engine)
    return training


def _enrolled(engine, status="selected"):
    with Session(engine) as db:
        return {e.household_id for e in db.exec(select(Enrollment).where(Enrollment.status == status))}


def test_the_ranking_is_lowest_income_per_person_first(engine, world):
    with Session(engine) as db:
        ranked = rank_candidates(db.exec(select(Household).where(Household.village_id == world.villages["34140101"])).all())
    assert [h.id for h in ranked] == [world.households[k] for k in ("h1", "h2", "h3", "h4", "h5", "h6")]


def test_the_page_proposes_the_poorest_n_and_saves_enrollments(north, world, engine):
    training = _setup(north, world, engine)
    page = north.get(f"/trainings/{training.id}/select").text
    assert page.index("นางทดสอบ h1") < page.index("นางทดสอบ h2") < page.index("นางทดสอบ h6")
    assert "นางทดสอบ south" not in page  # another village
    poorest = [world.households[k] for k in ("h1", "h2", "h3")]
    saved = post_form(north, f"/trainings/{training.id}/select", {"selected": poorest, "seq": "0"},
                      follow_redirects=False)
    assert saved.status_code in (302, 303), saved.text
    assert _enrolled(engine) == set(poorest)


def test_choosing_a_richer_household_needs_a_reason(north, world, engine):
    training = _setup(north, world, engine)
    choice = [world.households[k] for k in ("h1", "h2", "h6")]  # h6 passes over the poorer h3
    refused = post_form(north, f"/trainings/{training.id}/select", {"selected": choice, "seq": "0"})
    assert refused.status_code == 422
    assert "ต้องระบุเหตุผล" in refused.text
    assert _enrolled(engine) == set()
    reason = {f"reason_{world.households['h6']}": "เป็นผู้พิการ รายได้ไม่แน่นอน"}
    accepted = post_form(north, f"/trainings/{training.id}/select", {"selected": choice, "seq": "0", **reason},
                         follow_redirects=False)
    assert accepted.status_code in (302, 303)
    with Session(engine) as db:
        rich = db.exec(select(Enrollment).where(Enrollment.household_id == world.households["h6"])).one()
        assert rich.reason == "เป็นผู้พิการ รายได้ไม่แน่นอน"


def test_more_than_n_is_refused_and_a_deselected_household_is_withdrawn(north, world, engine):
    training = _setup(north, world, engine)
    too_many = [world.households[k] for k in ("h1", "h2", "h3", "h4")]
    assert post_form(north, f"/trainings/{training.id}/select",
                     {"selected": too_many, "seq": "0"}).status_code == 422
    first = [world.households[k] for k in ("h1", "h2", "h3")]
    post_form(north, f"/trainings/{training.id}/select", {"selected": first, "seq": "0"})
    with Session(engine) as db:
        version = max(e.seq for e in db.exec(select(Enrollment)))
    post_form(north, f"/trainings/{training.id}/select", {"selected": first[:2], "seq": str(version)})
    assert _enrolled(engine, "withdrawn") == {world.households["h3"]}


def test_the_reason_rule_ignores_ties_and_needs_a_poorer_household_left_out():
    class H:
        def __init__(self, id, income, members):
            self.id, self.annual_income, self.members, self.house_no = id, income, members, id
    ranked = rank_candidates([H("a", 10, 1), H("b", 20, 2), H("c", 50, 1)])  # a and b tie at 10
    assert check_selection(ranked, {"b"}, {}, limit=5) == []
    assert [e.field for e in check_selection(ranked, {"c"}, {}, limit=5)] == ["reason_c"]
    assert check_selection(ranked, {"a", "b", "c"}, {}, limit=5) == []
