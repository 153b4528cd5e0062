"""The demo district: real subdistricts, 13 participating villages, fictitious people, scoped officer."""
from sqlmodel import Session, select

from server.auth.areas import area_village_ids
from server.demo import seed_demo
from server.models import (
    Household,
    Subdistrict,
    Training,
    TrainingSession,
    User,
    Village,
)
from server.program.field_checks import is_valid_citizen_id


def test_the_demo_district_is_complete_and_the_officer_sees_part_of_it(engine):
    with Session(engine) as db:
        seed_demo(db)
        assert len(db.exec(select(Subdistrict)).all()) == 14
        villages = db.exec(select(Village)).all()
        participating = [v for v in villages if v.participating]
        assert len(participating) == 13
        assert all(len(v.code) == 8 and v.code.startswith("3414") for v in villages)
        for village in participating:
            households = db.exec(select(Household).where(Household.village_id == village.id)).all()
            assert len(households) >= 20
            assert all(h.citizen_id is None or is_valid_citizen_id(h.citizen_id) for h in households)
            training = db.exec(select(Training).where(Training.village_id == village.id)).one()
            days = db.exec(select(TrainingSession.day).where(TrainingSession.training_id == training.id)).all()
            assert sorted(days) == [1, 2, 3, 4, 5]
        officer = db.exec(select(User).where(User.username == "officer")).one()
        seen = area_village_ids(db, officer)
        assert 0 < len(seen) < len(villages)
