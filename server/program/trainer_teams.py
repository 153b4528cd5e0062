"""The trainer teams' questions: a village's team of a fiscal year, its members, the sages that could join
it, where else a sage serves, and one page of the area's villages with their teams."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Select, bindparam, func
from sqlalchemy.engine import Row
from sqlalchemy.orm import Bundle
from sqlmodel import Session, select

from server.auth.areas import area_village_ids
from server.core.paging import Page, page_of, paged
from server.models import Sage, Subdistrict, TeamMember, TrainerTeam, Training, User, Village
from server.program.rules import team_missing
from sync.spec import one_of


def village_team(db: Session, *, village_id: str, fiscal_year: int) -> TrainerTeam | None:
    return db.exec(select(TrainerTeam).where(TrainerTeam.village_id == village_id,
                                             TrainerTeam.fiscal_year == fiscal_year,
                                             TrainerTeam.deleted == False)).first()  # noqa: E712


def team_members(db: Session, *, team: TrainerTeam | None) -> list[tuple[TeamMember, Sage]]:
    if team is None:
        return []
    return list(db.exec(select(TeamMember, Sage).join(Sage, Sage.id == TeamMember.sage_id)
                        .where(TeamMember.team_id == team.id).order_by(TeamMember.id)).all())


def is_team_member(db: Session, *, team: TrainerTeam | None, sage: Sage) -> bool:
    return team is not None and db.exec(select(TeamMember).where(
        TeamMember.team_id == team.id, TeamMember.sage_id == sage.id)).first() is not None


@dataclass(frozen=True)
class TeamRow:
    """A village of the team list with its team's lead and number of members (not counting the lead): the
    columns the list shows (TEAM_VILLAGE, TEAM_SUBDISTRICT, TEAM_LEAD rows)."""
    village: Row
    subdistrict: Row
    lead: Row | None
    members: int

    @property
    def size(self) -> int:
        """Trainers on the team, the lead included."""
        return self.members + (1 if self.lead else 0)

    @property
    def no_lead(self) -> bool:
        return team_missing(has_lead=self.lead is not None, members=self.members)[0]

    @property
    def trainers_missing(self) -> int:
        return team_missing(has_lead=self.lead is not None, members=self.members)[1]


# A page of 50 villages: whole records would parse a version map and timestamps for each village and lead.
TEAM_VILLAGE = Bundle("village", Village.id, Village.name)
TEAM_SUBDISTRICT = Bundle("subdistrict", Subdistrict.name_th, Subdistrict.name_en)
TEAM_LEAD = Bundle("lead", Sage.id, Sage.name)


def team_page_rows(db: Session, *, user: User, fiscal_year: int, page: str | None,
                   per_page: int) -> tuple[Page, list[TeamRow]]:
    """One page of the area's villages with their team of the fiscal year, lead and size: one query."""
    area = area_village_ids(db, user)
    villages, rows = _team_statements(area is not None)
    params = {"area": sorted(area or ()), "fiscal_year": fiscal_year}
    found = page_of(db, villages, page, per_page, params)
    return found, [TeamRow(village, subdistrict, lead if lead.id is not None else None, members)
                   for village, subdistrict, lead, members in
                   db.exec(rows, params={**params, **found.bounds}).all()]


@lru_cache(maxsize=2)
def _team_statements(in_area: bool) -> tuple[Select, Select]:
    """The villages (of the area `:area`) and one page of them (`:offset`, `:limit`) with their team of
    `:fiscal_year`: built once."""
    shown = [Village.deleted == False]  # noqa: E712
    if in_area:
        shown.append(Village.id.in_(bindparam("area", expanding=True)))
    member_count = (select(func.count()).select_from(TeamMember)
                    .where(TeamMember.team_id == TrainerTeam.id).scalar_subquery())
    rows = paged(select(TEAM_VILLAGE, TEAM_SUBDISTRICT, TEAM_LEAD, func.coalesce(member_count, 0))
                 .join(Subdistrict, Subdistrict.code == Village.subdistrict_code)
                 .outerjoin(TrainerTeam, (TrainerTeam.village_id == Village.id)
                            & (TrainerTeam.fiscal_year == bindparam("fiscal_year"))
                            & (TrainerTeam.deleted == False))  # noqa: E712
                 .outerjoin(Sage, Sage.id == TrainerTeam.lead_sage_id)
                 .where(*shown).order_by(Village.code))
    return select(Village.id).where(*shown), rows


def team_candidates(db: Session, *, user: User, village: Village, on_team: set[str]) -> list[Sage]:
    """The area's sages not on the team yet, the village's own first, by name."""
    ids = area_village_ids(db, user)
    query = select(Sage).where(Sage.deleted == False).order_by(Sage.name)  # noqa: E712
    if ids is not None:
        query = query.where(one_of(Sage.village_id, ids))
    candidates = [s for s in db.exec(query).all() if s.id not in on_team]
    candidates.sort(key=lambda s: (s.village_id != village.id, s.name))
    return candidates


def village_trainings(db: Session, *, village_id: str, fiscal_year: int) -> list[Training]:
    return list(db.exec(select(Training).where(Training.village_id == village_id,
                                               Training.fiscal_year == fiscal_year,
                                               Training.deleted == False)).all())  # noqa: E712


def trains_elsewhere(db: Session, *, sage: Sage, village: Village, fiscal_year: int) -> str | None:
    """The village whose team the sage is a trainer on in the fiscal year, other than this one."""
    row = db.exec(select(Village).join(TrainerTeam, TrainerTeam.village_id == Village.id)
                  .join(TeamMember, TeamMember.team_id == TrainerTeam.id)
                  .where(TeamMember.sage_id == sage.id, TrainerTeam.fiscal_year == fiscal_year,
                         TrainerTeam.village_id != village.id, TrainerTeam.deleted == False)).first()  # noqa: E712
    return row.name if row is not None else None


def leads_elsewhere(db: Session, *, sage: Sage, village: Village, fiscal_year: int) -> str | None:
    """The village whose team the sage leads in the fiscal year, other than this one."""
    row = db.exec(select(Village).join(TrainerTeam, TrainerTeam.village_id == Village.id)
                  .where(TrainerTeam.lead_sage_id == sage.id, TrainerTeam.fiscal_year == fiscal_year,
                         TrainerTeam.village_id != village.id, TrainerTeam.deleted == False)).first()  # noqa: E712
    return row.name if row is not None else None


def sage_for_team(db: Session, *, user: User, sage_id: str | None) -> Sage | None:
    """The sage of the user's area chosen for a team, or None (missing, deleted or outside the area)."""
    if not sage_id:
        return None
    sage = db.get(Sage, sage_id)
    ids = area_village_ids(db, user)
    if sage is None or sage.deleted or (ids is not None and sage.village_id not in ids):
        return None
    return sage
