"""The occupation groups' questions: who a group may form from, one page of the area's groups, a group's
members, 5 ก history and its village's trainings."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from server.core.paging import Page, page_of
from server.models import (
    Enrollment,
    FiveKAssessment,
    GroupMember,
    Household,
    OccupationGroup,
    Training,
    User,
    Village,
)
from server.reports.report_area import area_condition


def village_trained_households(db: Session, *, village_id: str) -> list[Household]:
    """Households of the village selected for one of its trainings (the people a group forms from)."""
    return list(db.exec(
        select(Household).where(Household.village_id == village_id, Household.deleted == False,  # noqa: E712
                                Household.id.in_(select(Enrollment.household_id)
                                                 .join(Training, Training.id == Enrollment.training_id)
                                                 .where(Training.village_id == village_id,
                                                        Enrollment.status == "selected",
                                                        Enrollment.deleted == False)))  # noqa: E712
        .order_by(Household.house_sort)).all())


@dataclass(frozen=True)
class GroupRows:
    """One page of groups with their village, member counts and latest 5 ก assessment."""
    rows: list[tuple[OccupationGroup, Village]]
    members: dict[str, int]
    latest: dict[str, FiveKAssessment]


def group_page_rows(db: Session, *, user: User, page: str | None, per_page: int) -> tuple[Page, GroupRows]:
    """One page of the area's occupation groups, by village geocode."""
    query = (select(OccupationGroup, Village).join(Village, Village.id == OccupationGroup.village_id)
             .where(OccupationGroup.deleted == False, area_condition(db, user)))  # noqa: E712
    found = page_of(db, query, page, per_page)
    rows = list(db.exec(query.order_by(Village.code, OccupationGroup.name, OccupationGroup.id)
                        .offset(found.offset).limit(found.size)).all())
    group_ids = [g.id for g, _v in rows] or [""]
    members = dict(db.exec(select(GroupMember.group_id, func.count()).where(GroupMember.group_id.in_(group_ids))
                           .group_by(GroupMember.group_id)).all())
    latest: dict[str, FiveKAssessment] = {}
    for assessment in db.exec(select(FiveKAssessment).where(FiveKAssessment.group_id.in_(group_ids))
                              .order_by(FiveKAssessment.assessed_on, FiveKAssessment.id)):
        latest[assessment.group_id] = assessment
    return found, GroupRows(rows, members, latest)


def group_members_with_households(db: Session, *, group_id: str) -> list[tuple[GroupMember, Household]]:
    """The group's members with their households, by house number."""
    return list(db.exec(select(GroupMember, Household).join(Household, Household.id == GroupMember.household_id)
                        .where(GroupMember.group_id == group_id).order_by(Household.house_sort)).all())


def group_members_by_id(db: Session, *, group_id: str) -> dict[int, GroupMember]:
    return {m.id: m for m in db.exec(select(GroupMember).where(GroupMember.group_id == group_id))}


def five_k_history(db: Session, *, group_id: str) -> list[FiveKAssessment]:
    """The group's 5 ก assessments, the latest first."""
    return list(db.exec(select(FiveKAssessment).where(FiveKAssessment.group_id == group_id)
                        .order_by(FiveKAssessment.assessed_on.desc(), FiveKAssessment.id.desc())).all())


def village_trainings_all_years(db: Session, *, village_id: str) -> list[Training]:
    """The village's trainings of every fiscal year, the latest year first."""
    return list(db.exec(select(Training).where(Training.village_id == village_id,
                                               Training.deleted == False)  # noqa: E712
                        .order_by(Training.fiscal_year.desc())).all())
