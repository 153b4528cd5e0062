"""One village's year on one screen: its team, training days, households with their attendance and surveys, and groups."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from server.review.rounds import signed_off_rounds
from server.models import (
    Attendance,
    Enrollment,
    FiveKAssessment,
    GroupMember,
    Household,
    OccupationGroup,
    Sage,
    Survey,
    TeamMember,
    TrainerTeam,
    Training,
    TrainingSession,
    Village,
)


def village_story(db: Session, village: Village, fiscal_year: int) -> dict[str, Any]:
    """One village's year on one screen: team, training days, households with attendance and surveys, groups.

    A village has a few dozen households: its rows are loaded whole, each kind of row in one query for
    all the village's trainings and groups, so the page costs as many statements for ten trainings as for one.
    """
    team = db.exec(select(TrainerTeam).where(TrainerTeam.village_id == village.id,
                                             TrainerTeam.fiscal_year == fiscal_year,
                                             TrainerTeam.deleted == False)).scalars().first()  # noqa: E712
    trainers: list[Sage] = []
    if team is not None:
        if team.lead_sage_id:
            lead = db.get(Sage, team.lead_sage_id)
            trainers += [lead] if lead else []
        trainers += list(db.exec(select(Sage).join(TeamMember, TeamMember.sage_id == Sage.id)
                                 .where(TeamMember.team_id == team.id).order_by(Sage.name)).scalars())
    trainings = list(db.exec(select(Training).where(Training.village_id == village.id,
                                                    Training.fiscal_year == fiscal_year,
                                                    Training.deleted == False)  # noqa: E712
                             .order_by(Training.occupation)).scalars())
    return {"team": team, "trainers": trainers, "courses": _courses(db, trainings),
            "groups": _groups(db, village)}


def _courses(db: Session, trainings: list[Training]) -> list[dict[str, Any]]:
    """Each training with its days, enrolled households, attendance marks and surveys."""
    training_ids = [t.id for t in trainings]
    if not training_ids:
        return []
    sessions_of: dict[str, list[TrainingSession]] = {t: [] for t in training_ids}
    for session in db.exec(select(TrainingSession).where(TrainingSession.training_id.in_(training_ids),
                                                         TrainingSession.deleted == False)  # noqa: E712
                           .order_by(TrainingSession.day)).scalars():
        sessions_of[session.training_id].append(session)
    enrolled_in: dict[str, list[tuple[Enrollment, Household]]] = {t: [] for t in training_ids}
    for enrollment, household in db.exec(
            select(Enrollment, Household).join(Household, Household.id == Enrollment.household_id)
            .where(Enrollment.training_id.in_(training_ids), Enrollment.deleted == False,  # noqa: E712
                   Household.deleted == False)  # noqa: E712
            .order_by(Enrollment.status.desc(), Household.house_sort)).all():
        enrolled_in[enrollment.training_id].append((enrollment, household))
    session_ids = [s.id for sessions in sessions_of.values() for s in sessions]
    marks_of: dict[str, dict[tuple[str, str], bool]] = {t: {} for t in training_ids}
    training_of_session = {s.id: s.training_id for sessions in sessions_of.values() for s in sessions}
    for mark in db.exec(select(Attendance).where(Attendance.session_id.in_(session_ids or [""]),
                                                 Attendance.deleted == False)).scalars():  # noqa: E712
        marks_of[training_of_session[mark.session_id]][(mark.session_id, mark.household_id)] = mark.present
    household_ids = {h.id for enrolled in enrolled_in.values() for _e, h in enrolled}
    surveys_of: dict[str, dict[str, Survey]] = {}
    for survey in db.exec(select(Survey).where(Survey.household_id.in_(sorted(household_ids) or [""]),
                                               Survey.deleted == False)).scalars():  # noqa: E712
        surveys_of.setdefault(survey.household_id, {})[survey.kind] = survey
    signed_off = signed_off_rounds(db, training_ids)
    courses = []
    for training in trainings:
        sessions, enrolled, marks = sessions_of[training.id], enrolled_in[training.id], marks_of[training.id]
        ids = {h.id for _e, h in enrolled}
        surveys = {household_id: kinds for household_id, kinds in surveys_of.items() if household_id in ids}
        present = {s.id: sum(1 for e, h in enrolled if e.status == "selected" and marks.get((s.id, h.id)))
                   for s in sessions}
        courses.append({"training": training, "signed_off": signed_off.get(training.id),
                        "sessions": sessions, "enrolled": enrolled, "marks": marks,
                        "surveys": surveys, "present": present,
                        "selected": sum(1 for e, _h in enrolled if e.status == "selected")})
    return courses


def _groups(db: Session, village: Village) -> list[dict[str, Any]]:
    """The village's occupation groups with their latest 5 ก assessment and member count."""
    groups = list(db.exec(select(OccupationGroup).where(OccupationGroup.village_id == village.id,
                                                        OccupationGroup.deleted == False)).scalars())  # noqa: E712
    group_ids = [g.id for g in groups]
    if not group_ids:
        return []
    latest_of: dict[str, FiveKAssessment] = {}
    for assessment in db.exec(select(FiveKAssessment).where(FiveKAssessment.group_id.in_(group_ids))
                              .order_by(FiveKAssessment.assessed_on.desc(), FiveKAssessment.id.desc())).scalars():
        latest_of.setdefault(assessment.group_id, assessment)
    members_of = dict(db.exec(select(GroupMember.group_id, func.count(GroupMember.id))
                              .where(GroupMember.group_id.in_(group_ids)).group_by(GroupMember.group_id)).all())
    result = []
    for group in groups:
        latest = latest_of.get(group.id)
        result.append({"group": group, "latest": latest, "members": members_of.get(group.id, 0),
                       "score": sum(1 for v in (latest.scores if latest else {}).values() if v)})
    return result


def village_by_code(db: Session, *, code: str) -> Village | None:
    """The undeleted village of this 8-digit geocode, or None."""
    if len(code) != 8:
        return None
    return db.exec(select(Village).where(Village.code == code, Village.deleted == False)).scalars().first()  # noqa: E712
