"""The trainings' questions: one page of the area's trainings, a training's days, enrollments and marks,
and the households a village may select from."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.engine import Row
from sqlalchemy.orm import Bundle
from sqlmodel import Session, select

from server.core.paging import Page, page_of
from server.models import Attendance, Enrollment, Household, Training, TrainingSession, User, Village
from server.reports.report_area import area_condition
from sync.spec import one_of


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
    query = (select(LISTED_TRAINING, LISTED_VILLAGE).join(Village, Village.id == Training.village_id)
             .where(Training.deleted == False, area_condition(db, user)))  # noqa: E712
    if fiscal_year is not None:
        query = query.where(Training.fiscal_year == fiscal_year)
    found = page_of(db, query, page, per_page)
    rows = [tuple(row) for row in db.exec(query.order_by(Training.fiscal_year.desc(), Village.code, Training.id)
                                          .offset(found.offset).limit(found.size)).all()]
    training_ids = [t.id for t, _v in rows]
    enrolled = dict(db.exec(select(Enrollment.training_id, func.count())
                            .where(one_of(Enrollment.training_id, training_ids), Enrollment.status == "selected",
                                   Enrollment.deleted == False)  # noqa: E712
                            .group_by(Enrollment.training_id)).all())
    sessions: dict[str, list[Row]] = {}
    for session in db.exec(select(LISTED_DAY).where(one_of(TrainingSession.training_id, training_ids),
                                                         TrainingSession.deleted == False)  # noqa: E712
                           .order_by(TrainingSession.day)):
        sessions.setdefault(session.training_id, []).append(session)
    return found, TrainingRows(rows, enrolled, sessions)


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
