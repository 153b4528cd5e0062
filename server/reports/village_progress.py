"""Where each village stands in the program: team, training, households enrolled, days held."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import Select, bindparam, func, or_
from sqlalchemy.engine import Row
from sqlalchemy.orm import Bundle
from sqlmodel import Session, select

from server.models import (
    Attendance,
    Household,
    Subdistrict,
    TeamMember,
    Training,
    TrainerTeam,
    TrainingSession,
    User,
    Village,
)
from server.core.paging import Page, page_of, paged
from server.auth.areas import area_village_ids
from server.program.rules import TEAM_SIZE, TRAINING_DAYS
from server.program.training_records import ENROLLED_PER_TRAINING
from server.core.dates import current_fiscal_year, thai_today


# The columns the progress lists show. Whole records would cost a parsed version map and timestamps
# each (most of a page's time for a district's 200 training days), for nothing on the page.
VILLAGE = Bundle("village", Village.id, Village.code, Village.name, Village.number, Village.participating)
SUBDISTRICT = Bundle("subdistrict", Subdistrict.code, Subdistrict.name_th, Subdistrict.name_en)
DAY = Bundle("day", TrainingSession.id, TrainingSession.training_id, TrainingSession.day, TrainingSession.date)


@dataclass(frozen=True)
class PlannedTraining:
    """The village's training of the year (its first planned, if several)."""

    id: str


@dataclass
class VillageProgress:
    village: Row  # VILLAGE's columns
    subdistrict: Row  # SUBDISTRICT's columns
    households: int = 0
    team_size: int = 0
    training: PlannedTraining | None = None
    enrolled: int = 0
    days_held: int = 0  # days whose date has come
    days_undated: int = 0
    next_session: Row | None = None  # DAY's columns
    # Days past their date with no attendance recorded yet.
    days_without_attendance: list[Row] = field(default_factory=list)

    @property
    def team_complete(self) -> bool:
        return self.team_size >= TEAM_SIZE

    @property
    def steps_done(self) -> int:
        """0–4: team formed, training planned, households selected, all 5 days held."""
        return sum([self.team_complete, self.training is not None, self.enrolled > 0,
                    self.days_held >= TRAINING_DAYS])


# The statements, built once (building them cost more than SQLite's answers). Per village of the
# outer query: its households, its team's trainers (lead and members) and its first training of the
# year, as correlated subqueries (one statement for every village, no list of ids).
_YEAR = bindparam("fiscal_year")
_HOUSEHOLDS = (select(func.count()).select_from(Household)
               .where(Household.village_id == Village.id, Household.deleted == False)  # noqa: E712
               .scalar_subquery())
_TEAM = (TrainerTeam.village_id == Village.id) & (TrainerTeam.fiscal_year == _YEAR)
_MEMBERS = (select(func.count()).select_from(TeamMember).join(TrainerTeam, TrainerTeam.id == TeamMember.team_id)
            .where(_TEAM).scalar_subquery())
_LEADS = select(func.count()).select_from(TrainerTeam).where(_TEAM, TrainerTeam.lead_sage_id.is_not(None)).scalar_subquery()
_FIRST_TRAINING = (select(Training.id)
                   .where(Training.village_id == Village.id, Training.fiscal_year == _YEAR,
                          Training.deleted == False)  # noqa: E712
                   .order_by(Training.created_at, Training.id).limit(1).scalar_subquery())
_EVERY_VILLAGE = (select(VILLAGE, SUBDISTRICT, _HOUSEHOLDS, _MEMBERS, _LEADS, _FIRST_TRAINING)
                  .join(Subdistrict, Subdistrict.code == Village.subdistrict_code)
                  .where(Village.deleted == False)  # noqa: E712
                  .order_by(Village.code))
_THESE_VILLAGES = _EVERY_VILLAGE.where(Village.id.in_(bindparam("villages", expanding=True)))
_TRAININGS = bindparam("trainings", expanding=True)
_ATTENDED = (select(Attendance.id).where(Attendance.session_id == TrainingSession.id,
                                         Attendance.deleted == False)  # noqa: E712
             .exists())
_DAYS = (select(DAY, _ATTENDED)
         .where(TrainingSession.training_id.in_(_TRAININGS), TrainingSession.deleted == False)  # noqa: E712
         .order_by(TrainingSession.day))


def village_progress(db: Session, village_ids: set[str] | None, fiscal_year: int | None = None,
                     today: dt.date | None = None) -> list[VillageProgress]:
    """Where each village (of `village_ids`, or every one) stands this fiscal year, in geocode order:
    three statements whatever the number of villages."""
    fiscal_year = fiscal_year or current_fiscal_year()
    today = today or thai_today()
    if village_ids is None:
        found = db.exec(_EVERY_VILLAGE, params={"fiscal_year": fiscal_year})
    elif not village_ids:
        return []
    else:
        found = db.exec(_THESE_VILLAGES, params={"fiscal_year": fiscal_year, "villages": list(village_ids)})
    rows: list[VillageProgress] = []
    by_training: dict[str, VillageProgress] = {}
    for village, subdistrict, household_count, member_count, lead_count, training_id in found:
        progress = VillageProgress(village=village, subdistrict=subdistrict, households=household_count,
                                   team_size=member_count + lead_count,
                                   training=PlannedTraining(training_id) if training_id else None)
        rows.append(progress)
        if training_id:
            by_training[training_id] = progress
    if not by_training:
        return rows

    trainings = {"trainings": list(by_training)}
    for training_id, count in db.exec(ENROLLED_PER_TRAINING, params=trainings):
        by_training[training_id].enrolled = count
    for session, has_attendance in db.exec(_DAYS, params=trainings):
        progress = by_training[session.training_id]
        if session.date is None:
            progress.days_undated += 1
        elif session.date <= today:
            progress.days_held += 1
            if session.date < today and not has_attendance:
                progress.days_without_attendance.append(session)
        elif progress.next_session is None or session.date < progress.next_session.date:
            progress.next_session = session
    return rows


def village_page_ids(db: Session, *, user: User, query: str, page: str | None,
                     per_page: int) -> tuple[Page, set[str]]:
    """One page of the user's area's villages by geocode matching `query` (a village's name or code, or its
    subdistrict's name): counted and paged by the database; their ids, for `village_progress`."""
    area = area_village_ids(db, user)
    # Without a search the statements are built once; a search's patterns are part of its own.
    matching, listed = _village_statements(area is not None, query) if query else _village_shape(area is not None)
    params = {"area": sorted(area or ())}
    found = page_of(db, matching, page, per_page, params)
    return found, set(db.exec(listed, params={**params, **found.bounds}).all())


def _village_statements(in_area: bool, query: str = "") -> tuple[Select, Select]:
    """The villages (of the area `:area`) matching `query`, and one page of them by geocode (`:offset`, `:limit`)."""
    conditions = [Village.deleted == False]  # noqa: E712
    if in_area:
        conditions.append(Village.id.in_(bindparam("area", expanding=True)))
    if query:
        subdistricts = select(Subdistrict.code).where(or_(Subdistrict.name_th.contains(query, autoescape=True),
                                                          Subdistrict.name_en.icontains(query, autoescape=True)))
        conditions.append(or_(Village.name.contains(query, autoescape=True),
                              Village.code.startswith(query, autoescape=True),
                              Village.subdistrict_code.in_(subdistricts)))
    matching = select(Village.id).where(*conditions)
    return matching, paged(matching.order_by(Village.code))


_village_shape = lru_cache(maxsize=2)(_village_statements)
