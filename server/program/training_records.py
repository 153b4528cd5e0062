"""The trainings' questions: one page of the area's trainings, a training's days, enrollments and marks,
and the households a village may select from."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Select, bindparam, func
from sqlalchemy.engine import Row
from sqlalchemy.orm import Bundle
from sqlmodel import Session, select

from server.auth.areas import area_village_ids
from server.core.paging import Page, page_of, paged
from server.models import Attendance, Enrollment, Household, Training, TrainingSession, User, Village


def training_sessions(db: Session, *, training_id: str) -> list[TrainingSession]:
    """The training's days, in day order."""
    return list(db.exec(select(TrainingSession).where(TrainingSession.training_id == training_id,
                                                      TrainingSession.deleted == False)  # noqa: E712
                        .order_by(TrainingSession.day)).all())


def training_enrollments(db: Session, *, training_id: str) -> list[Enrollment]:
    return list(db.exec(select(Enrollment).where(Enrollment.training_id == training_id,
                                                 Enrollment.deleted == False)).all())  # noqa: E712


@dataclass(frozen=True)
class TrainingRows:
    """One page of trainings with their village, the number selected and the days of each: the columns
    the list shows (LISTED_TRAINING, LISTED_VILLAGE, LISTED_DAY rows), not whole records."""
    rows: list[tuple[Row, Row]]
    enrolled: dict[str, int]
    sessions: dict[str, list[Row]]


# A page of 50 trainings has 250 days: whole records would parse a version map and timestamps for each.
LISTED_TRAINING = Bundle("training", Training.id, Training.occupation, Training.title, Training.fiscal_year)
LISTED_VILLAGE = Bundle("village", Village.id, Village.name)
LISTED_DAY = Bundle("day", TrainingSession.training_id, TrainingSession.day, TrainingSession.date)


def training_page_rows(db: Session, *, user: User, fiscal_year: int | None, page: str | None,
                       per_page: int) -> tuple[Page, TrainingRows]:
    """One page of the area's trainings (of one fiscal year, or all), the latest fiscal year first, then by
    village geocode: three queries besides the count, whatever the page's size."""
    area = area_village_ids(db, user)
    matching, listed = _training_statements(area is not None, fiscal_year is not None)
    params = {"area": sorted(area or ()), "fiscal_year": fiscal_year}
    found = page_of(db, matching, page, per_page, params)
    rows = [tuple(row) for row in db.exec(listed, params={**params, **found.bounds})]
    trainings = {"trainings": [t.id for t, _v in rows]}
    enrolled = dict(db.exec(ENROLLED_PER_TRAINING, params=trainings).all())
    sessions: dict[str, list[Row]] = {}
    for session in db.exec(_DAYS, params=trainings):
        sessions.setdefault(session.training_id, []).append(session)
    return found, TrainingRows(rows, enrolled, sessions)


@lru_cache(maxsize=4)
def _training_statements(in_area: bool, one_year: bool) -> tuple[Select, Select]:
    """The trainings (of the area `:area`, of `:fiscal_year`) and one page of them (`:offset`, `:limit`):
    built once per shape."""
    query = (select(LISTED_TRAINING, LISTED_VILLAGE).join(Village, Village.id == Training.village_id)
             .where(Training.deleted == False))  # noqa: E712
    if in_area:
        query = query.where(Village.id.in_(bindparam("area", expanding=True)))
    if one_year:
        query = query.where(Training.fiscal_year == bindparam("fiscal_year"))
    return query, paged(query.order_by(Training.fiscal_year.desc(), Village.code, Training.id))


_TRAININGS = bindparam("trainings", expanding=True)
# How many households each training selected: its list and the village progress report count alike.
ENROLLED_PER_TRAINING = (select(Enrollment.training_id, func.count())
             .where(Enrollment.training_id.in_(_TRAININGS), Enrollment.status == "selected",
                    Enrollment.deleted == False)  # noqa: E712
             .group_by(Enrollment.training_id))
_DAYS = (select(LISTED_DAY).where(TrainingSession.training_id.in_(_TRAININGS),
                                  TrainingSession.deleted == False)  # noqa: E712
         .order_by(TrainingSession.day))


def training_exists(db: Session, *, village_id: str | None, occupation: str | None, fiscal_year: int | None) -> bool:
    """The village already has a training in this trade this fiscal year."""
    return db.exec(select(Training).where(Training.village_id == village_id, Training.occupation == occupation,
                                          Training.fiscal_year == fiscal_year,
                                          Training.deleted == False)).first() is not None  # noqa: E712


def present_per_session(db: Session, *, sessions: list[TrainingSession]) -> dict[str, int]:
    """{session id: households marked present}."""
    return dict(db.exec(select(Attendance.session_id, func.count())
                        .where(Attendance.session_id.in_([s.id for s in sessions] or [""]),
                               Attendance.present == True, Attendance.deleted == False)  # noqa: E712
                        .group_by(Attendance.session_id)).all())


def enrolled_households(db: Session, *, training_id: str) -> list[tuple[Enrollment, Household]]:
    """The training's enrollments with their households (deleted ones too), by status then house number."""
    return list(db.exec(select(Enrollment, Household).join(Household, Household.id == Enrollment.household_id)
                        .where(Enrollment.training_id == training_id, Enrollment.deleted == False)  # noqa: E712
                        .order_by(Enrollment.status, Household.house_sort)).all())


def day_has_attendance(db: Session, *, session_id: str) -> bool:
    return db.exec(select(Attendance.id).where(Attendance.session_id == session_id,
                                               Attendance.deleted == False)).first() is not None  # noqa: E712


def village_households(db: Session, *, village_id: str) -> list[Household]:
    """The village's households, those a training there may select from."""
    return list(db.exec(select(Household).where(Household.village_id == village_id,
                                                Household.deleted == False)).all())  # noqa: E712
