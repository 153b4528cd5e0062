"""A small program with hand-computed figures: two villages of district 3414 and one of the
neighbouring district 3415, fiscal year 2570, looked at on 1 Sep 2027 (BE 2570).

Village 34140101 (orchard; team of 5; a group whose latest 5 ก assessment meets every element):
  A  present days 1–5   baseline 100,000  after_training practising 110,000  3m practising 120,000
  B  present day 1      baseline  50,000  after_training NOT practising 50,000  3m practising 51,000
  C  present days 1–3   baseline       0  after_training practising  12,000
  D  present day 1      baseline  80,000  (no follow-up yet)
  E  absent every day   baseline  30,000  after_training practising  90,000   (never trained)
  F  withdrawn, present day 1, baseline 10,000, after_training practising 99,000 (withdrawn)
Village 34140201 (livestock; team of 3; no group):
  G  present days 1–5   baseline  40,000  after_training practising  41,000
  H  present days 1–5   baseline  60,000  after_training NOT practising 60,000
Village 34150101 of district 3415 (orchard; a group):
  N  present days 1–5   baseline  10,000  after_training practising  20,000
All trainings ran 1–5 Nov 2026.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from sqlmodel import Session

from server.models import (
    Attendance,
    District,
    Enrollment,
    FiveKAssessment,
    OccupationGroup,
    Sage,
    Subdistrict,
    Survey,
    TeamMember,
    Training,
    TrainerTeam,
    TrainingSession,
    Village,
)
from server.program.rules import default_session_kind
from tests.office.conftest import add_user, password_hash  # noqa: F401 (a session fixture)
from tests.support.factories import make_geography, make_household, valid_citizen_id

TODAY = dt.date(2027, 9, 1)
FISCAL_YEAR = 2570
FIRST_DAY = dt.date(2026, 11, 1)


@dataclass
class Program:
    villages: dict[str, str]  # code -> id
    households: dict[str, str] = field(default_factory=dict)  # letter -> id
    trainings: dict[str, str] = field(default_factory=dict)  # village code -> id


def add_training(db: Session, *, village_id: str, occupation: str, fiscal_year: int = FISCAL_YEAR,
                 first_day: dt.date = FIRST_DAY) -> tuple[Training, list[TrainingSession]]:
    training = Training(village_id=village_id, occupation=occupation, fiscal_year=fiscal_year)
    db.add(training)
    db.flush()
    sessions = []
    for day in range(1, 6):
        session = TrainingSession(training_id=training.id, day=day, kind=default_session_kind(day),
                                  date=first_day + dt.timedelta(days=day - 1))
        db.add(session)
        sessions.append(session)
    db.flush()
    return training, sessions


def add_trainee(db: Session, *, training: Training, sessions: list[TrainingSession], village_id: str,
                head_name: str, present_days: set[int], status: str = "selected",
                surveys: dict[str, tuple[int | None, bool | None]] | None = None, seed: int = 0) -> str:
    household = make_household(db, village_id=village_id, head_name=head_name, commit=False,
                               citizen_id=valid_citizen_id(seed) if seed else None)
    db.add(Enrollment(training_id=training.id, household_id=household.id, occupation=training.occupation,
                      status=status))
    for session in sessions:
        db.add(Attendance(session_id=session.id, household_id=household.id, present=session.day in present_days))
    for kind, (income, practising) in (surveys or {}).items():
        db.add(Survey(household_id=household.id, kind=kind, surveyed_on=FIRST_DAY, annual_income=income,
                      practising_trade=practising))
    db.flush()
    return household.id


def add_team(db: Session, *, village_id: str, size: int, fiscal_year: int = FISCAL_YEAR) -> None:
    sages = [Sage(village_id=village_id, name=f"ปราชญ์ทดสอบ {n}", skills=["orchard"]) for n in range(size)]
    db.add_all(sages)
    db.flush()
    team = TrainerTeam(village_id=village_id, fiscal_year=fiscal_year, lead_sage_id=sages[0].id)
    db.add(team)
    db.flush()
    db.add_all(TeamMember(team_id=team.id, sage_id=s.id) for s in sages[1:])
    db.flush()


def add_group(db: Session, *, village_id: str, scores: dict[str, bool] | None) -> str:
    group = OccupationGroup(village_id=village_id, name="กลุ่มทดสอบ", category="agriculture", occupation="orchard")
    db.add(group)
    db.flush()
    if scores is not None:
        db.add(FiveKAssessment(group_id=group.id, assessed_on=dt.date(2027, 1, 1),
                               scores={k: not v for k, v in scores.items()}))
        db.add(FiveKAssessment(group_id=group.id, assessed_on=dt.date(2027, 2, 1), scores=scores))
        db.flush()
    return group.id


ALL_FIVE = {"members": True, "committee": True, "rules": True, "activities": True, "fund": True}


@pytest.fixture
def program(engine, password_hash) -> Program:  # noqa: F811
    with Session(engine, expire_on_commit=False) as db:
        geo = make_geography(db, commit=False)
        db.add(District(code="3415", province_code="34", name_th="อำเภอข้างเคียงสมมุติ", name_en="Neighbour"))
        db.flush()
        db.add(Subdistrict(code="341501", district_code="3415", name_th="ตำบลข้างเคียง", name_en="Next door"))
        db.flush()
        neighbour = Village(code="34150101", subdistrict_code="341501", number=1, name="บ้านข้างเคียงสมมุติ",
                            participating=True)
        db.add(neighbour)
        db.flush()
        villages = {code: v.id for code, v in geo["village"].items()} | {"34150101": neighbour.id}
        result = Program(villages=villages)

        v1 = villages["34140101"]
        training, sessions = add_training(db, village_id=v1, occupation="orchard")
        result.trainings["34140101"] = training.id
        people = {
            "A": ({1, 2, 3, 4, 5}, "selected", {"baseline": (100_000, False), "after_training": (110_000, True),
                                                "follow_up_3m": (120_000, True)}),
            "B": ({1}, "selected", {"baseline": (50_000, False), "after_training": (50_000, False),
                                    "follow_up_3m": (51_000, True)}),
            "C": ({1, 2, 3}, "selected", {"baseline": (0, False), "after_training": (12_000, True)}),
            "D": ({1}, "selected", {"baseline": (80_000, False)}),
            "E": (set(), "selected", {"baseline": (30_000, False), "after_training": (90_000, True)}),
            "F": ({1}, "withdrawn", {"baseline": (10_000, False), "after_training": (99_000, True)}),
        }
        for seed, (letter, (days, status, surveys)) in enumerate(people.items(), start=1):
            result.households[letter] = add_trainee(db, training=training, sessions=sessions, village_id=v1,
                                                    head_name=f"นางทดสอบ {letter}", present_days=days,
                                                    status=status, surveys=surveys, seed=seed)
        add_team(db, village_id=v1, size=5)
        add_group(db, village_id=v1, scores=ALL_FIVE)

        v2 = villages["34140201"]
        training, sessions = add_training(db, village_id=v2, occupation="livestock")
        result.trainings["34140201"] = training.id
        for letter, income, practising in (("G", 41_000, True), ("H", 60_000, False)):
            before = 40_000 if letter == "G" else 60_000
            result.households[letter] = add_trainee(
                db, training=training, sessions=sessions, village_id=v2, head_name=f"นายทดสอบ {letter}",
                present_days={1, 2, 3, 4, 5},
                surveys={"baseline": (before, False), "after_training": (income, practising)})
        add_team(db, village_id=v2, size=3)

        training, sessions = add_training(db, village_id=neighbour.id, occupation="orchard")
        result.trainings["34150101"] = training.id
        result.households["N"] = add_trainee(
            db, training=training, sessions=sessions, village_id=neighbour.id, head_name="นางข้างเคียง N",
            present_days={1, 2, 3, 4, 5}, surveys={"baseline": (10_000, False), "after_training": (20_000, True)})
        add_group(db, village_id=neighbour.id, scores=ALL_FIVE)

        add_user(db, password_hash, username="boss", role="supervisor")
        add_user(db, password_hash, username="neighbour_boss", role="supervisor")
        add_user(db, password_hash, username="north", role="officer", subdistricts=["341401"])
        add_user(db, password_hash, username="root", role="admin")
        db.flush()
        from sqlmodel import select

        from server.models import User
        for name, district in (("boss", "3414"), ("neighbour_boss", "3415"), ("north", "3414")):
            user = db.exec(select(User).where(User.username == name)).one()
            user.district_code = district
        db.commit()
    return result
