"""A citizen ID found registered is refused every way in, says nowhere where, is audited, and a user
who meets too many is answered neither yes nor no for a while."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from server.program import record_rules as household_rules
from server.models import AuditEntry, Household, User
from tests.rules.test_every_way_in import ALREADY_REGISTERED, REGISTER, _household
from tests.support.factories import valid_citizen_id

ELSEWHERE = valid_citizen_id(4242)  # held by a household of officer south's area
LIMITED = "หลายครั้งเกินไป"


@pytest.fixture
def elsewhere(engine, world):
    with Session(engine) as db:
        household = db.get(Household, world.households["south"])
        household.citizen_id = ELSEWHERE
        db.add(household)
        db.commit()


def _hits(engine) -> list[AuditEntry]:
    with Session(engine) as db:
        north = db.exec(select(User).where(User.username == "north")).one()
        return list(db.exec(select(AuditEntry).where(AuditEntry.action == "citizen_id_registered",
                                                     AuditEntry.user_id == north.id)).all())


@pytest.mark.parametrize("way", list(REGISTER))
def test_a_citizen_id_registered_elsewhere_is_refused_audited_and_not_placed(way, north, world, engine, elsewhere):
    answer = REGISTER[way](north, world, _household(citizen_id=ELSEWHERE))

    assert not answer.accepted and ALREADY_REGISTERED in answer.text
    assert "บ้านหนองตัวอย่าง" not in answer.text and "เหล่าบก" not in answer.text  # south's village, subdistrict
    hits = _hits(engine)
    assert hits and all(h.detail["citizen_id"] != ELSEWHERE for h in hits)  # kept masked


@pytest.mark.parametrize("way", ["page", "push"])
def test_past_the_limit_a_new_citizen_id_is_answered_neither_yes_nor_no(way, north, world, engine, elsewhere,
                                                                       monkeypatch):
    monkeypatch.setattr(household_rules, "CITIZEN_ID_HITS_PER_HOUR", 3)
    for n in range(3):
        answer = REGISTER[way](north, world, _household(citizen_id=ELSEWHERE, house_no=f"8/{n}"))
        assert ALREADY_REGISTERED in answer.text
    unregistered = REGISTER[way](north, world, _household(citizen_id=valid_citizen_id(777), house_no="9/9"))
    assert not unregistered.accepted and LIMITED in unregistered.text
    again = REGISTER[way](north, world, _household(citizen_id=ELSEWHERE, house_no="9/8"))
    assert LIMITED in again.text and ALREADY_REGISTERED not in again.text
    # Without a citizen ID the work goes on.
    assert REGISTER[way](north, world, _household(citizen_id="", house_no="9/7")).accepted
