"""Where each village stands in the program: team, training, households enrolled, days held."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, or_
from sqlalchemy.engine import Row
from sqlalchemy.orm import Bundle
from sqlmodel import Session, select

from server.models import (
    Attendance,
    Enrollment,
    Household,
    Subdistrict,
    TeamMember,
    Training,
    TrainerTeam,
    TrainingSession,
    User,
    Village,
)
from server.core.paging import Page, page_of
from server.reports.report_area import area_condition
from server.program.rules import TEAM_SIZE, TRAINING_DAYS
from server.core.dates import current_fiscal_year, thai_today


# The columns the progress lists show. Whole records would cost a parsed version map and timestamps
# each (most of a page's time for a district's 200 training days), for nothing on the page.
VILLAGE = Bundle("village", Village.id, Village.code, Village.name, Village.number, Village.participating)
SUBDISTRICT = Bundle("subdistrict", Subdistrict.code, Subdistrict.name_th, Subdistrict.name_en)
TEAM = Bundle("team", TrainerTeam.id, TrainerTeam.village_id, TrainerTeam.lead_sage_id)
TRAINING = Bundle("training", Training.id, Training.village_id)
DAY = Bundle("day", TrainingSession.id, TrainingSession.training_id, TrainingSession.day, TrainingSession.date)


@dataclass
class VillageProgress:
    village: Row  # VILLAGE's columns
    subdistrict: Row  # SUBDISTRICT's columns
    households: int = 0
    team_size: int = 0
    training: Row | None = None  # TRAINING's columns
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


def village_progress(db: Session, village_ids: set[str] | None, fiscal_year: int | None = None,
                     today: dt.date | None = None) -> list[VillageProgress]:
    fiscal_year = fiscal_year or current_fiscal_year()
    today = today or thai_today()
    query = (select(VILLAGE, SUBDISTRICT).join(Subdistrict, Subdistrict.code == Village.subdistrict_code)
             .where(Village.deleted == False)  # noqa: E712
             .order_by(Village.code))
    if village_ids is not None:
        if not village_ids:
            return []
        query = query.where(Village.id.in_(village_ids))
    rows = {v.id: VillageProgress(village=v, subdistrict=s) for v, s in db.exec(query)}
    if not rows:
        return []
    ids = list(rows)

    for village_id, count in db.exec(
        select(Household.village_id, func.count()).where(Household.village_id.in_(ids),
                                                         Household.deleted == False)  # noqa: E712
        .group_by(Household.village_id)):
        rows[village_id].households = count

    teams = db.exec(select(TEAM).where(TrainerTeam.village_id.in_(ids),
                                       TrainerTeam.fiscal_year == fiscal_year)).all()
    team_ids = {t.id: t for t in teams}
    member_counts = dict(db.exec(select(TeamMember.team_id, func.count())
                                 .where(TeamMember.team_id.in_(list(team_ids) or [""]))
                                 .group_by(TeamMember.team_id)).all())
    for team in teams:
        rows[team.village_id].team_size = member_counts.get(team.id, 0) + (1 if team.lead_sage_id else 0)

    trainings = db.exec(select(TRAINING).where(Training.village_id.in_(ids),
                                               Training.fiscal_year == fiscal_year,
                                               Training.deleted == False)  # noqa: E712
                        .order_by(Training.created_at)).all()
    by_training: dict[str, VillageProgress] = {}
    for training in trainings:
        progress = rows[training.village_id]
        if progress.training is None:
            progress.training = training
            by_training[training.id] = progress
    if by_training:
        for training_id, count in db.exec(
            select(Enrollment.training_id, func.count())
            .where(Enrollment.training_id.in_(list(by_training)), Enrollment.status == "selected",
                   Enrollment.deleted == False)  # noqa: E712
            .group_by(Enrollment.training_id)):
            by_training[training_id].enrolled = count
        sessions = db.exec(select(DAY)
                           .where(TrainingSession.training_id.in_(list(by_training)),
                                  TrainingSession.deleted == False)  # noqa: E712
                           .order_by(TrainingSession.day)).all()
        past = [s.id for s in sessions if s.date and s.date < today]
        attended = set(db.exec(select(Attendance.session_id).distinct()
                               .where(Attendance.session_id.in_(past), Attendance.deleted == False))  # noqa: E712
                       ) if past else set()
        for session in sessions:
            progress = by_training[session.training_id]
            if session.date is None:
                progress.days_undated += 1
            elif session.date <= today:
                progress.days_held += 1
                if session.date < today and session.id not in attended:
                    progress.days_without_attendance.append(session)
            elif progress.next_session is None or session.date < progress.next_session.date:
                progress.next_session = session
    return list(rows.values())


def village_page_ids(db: Session, *, user: User, query: str, page: str | None,
                     per_page: int) -> tuple[Page, set[str]]:
    """One page of the user's area's villages by geocode matching `query` (a village's name or code, or its
    subdistrict's name): counted and paged by the database; their ids, for `village_progress`."""
    conditions = [Village.deleted == False, area_condition(db, user)]  # noqa: E712
    if query:
        subdistricts = select(Subdistrict.code).where(or_(Subdistrict.name_th.contains(query, autoescape=True),
                                                          Subdistrict.name_en.icontains(query, autoescape=True)))
        conditions.append(or_(Village.name.contains(query, autoescape=True),
                              Village.code.startswith(query, autoescape=True),
                              Village.subdistrict_code.in_(subdistricts)))
    matching = select(Village.id).where(*conditions)
    found = page_of(db, matching, page, per_page)
    return found, set(db.exec(matching.order_by(Village.code).offset(found.offset).limit(found.size)).all())
