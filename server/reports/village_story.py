"""One village's year on one screen: its team, training days, households with their attendance and surveys, and groups."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
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

    A village has a few dozen households: its rows are loaded whole.
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
    courses = []
    for training in trainings:
        sessions = list(db.exec(select(TrainingSession).where(TrainingSession.training_id == training.id,
                                                              TrainingSession.deleted == False)  # noqa: E712
                                .order_by(TrainingSession.day)).scalars())
        enrolled = list(db.exec(select(Enrollment, Household).join(Household, Household.id == Enrollment.household_id)
                                .where(Enrollment.training_id == training.id, Enrollment.deleted == False,  # noqa: E712
                                       Household.deleted == False)  # noqa: E712
                                .order_by(Enrollment.status.desc(), Household.house_sort)).all())
        ids = [h.id for _e, h in enrolled] or [""]
        marks = {(a.session_id, a.household_id): a.present for a in db.exec(
            select(Attendance).where(Attendance.session_id.in_([s.id for s in sessions] or [""]),
                                     Attendance.deleted == False)).scalars()}  # noqa: E712
        surveys: dict[str, dict[str, Survey]] = {}
        for survey in db.exec(select(Survey).where(Survey.household_id.in_(ids), Survey.deleted == False)).scalars():  # noqa: E712
            surveys.setdefault(survey.household_id, {})[survey.kind] = survey
        present = {s.id: sum(1 for e, h in enrolled if e.status == "selected" and marks.get((s.id, h.id)))
                   for s in sessions}
        courses.append({"training": training, "signed_off": signed_off_rounds(db, [training.id]).get(training.id),
                        "sessions": sessions, "enrolled": enrolled, "marks": marks,
                        "surveys": surveys, "present": present,
                        "selected": sum(1 for e, _h in enrolled if e.status == "selected")})
    groups = []
    for group in db.exec(select(OccupationGroup).where(OccupationGroup.village_id == village.id,
                                                       OccupationGroup.deleted == False)).scalars():  # noqa: E712
        latest = db.exec(select(FiveKAssessment).where(FiveKAssessment.group_id == group.id)
                         .order_by(FiveKAssessment.assessed_on.desc(), FiveKAssessment.id.desc())).scalars().first()
        members = len(db.exec(select(GroupMember.id).where(GroupMember.group_id == group.id)).all())
        groups.append({"group": group, "latest": latest, "members": members,
                       "score": sum(1 for v in (latest.scores if latest else {}).values() if v)})
    return {"team": team, "trainers": trainers, "courses": courses, "groups": groups}
