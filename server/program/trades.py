"""Trades, coded everywhere: the configured trade list, the one rule on trade codes (pages, import and
push), reading a trade from its name, and a village's match of households, sages and trades."""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.program.field_checks import FieldError
from server.synced.refusals import unknown_trade
from server.models import Occupation


def name_key(text: str) -> str:
    """A trade's name as names are compared: Unicode-normalised (NFKC), case-folded, spaces trimmed and
    runs of spaces made one. Nothing else: 'ทำนา' is not 'ทำนาข้าว'."""
    return " ".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def trade_codes(session: Session, *, active_only: bool = True) -> set[str]:
    """The codes of the configuration's trade list (retired trades left out unless asked)."""
    query = select(Occupation.code).where(Occupation.kind == "trade")
    if active_only:
        query = query.where(Occupation.active == True)  # noqa: E712
    return set(session.execute(query).scalars())


def trades_by_name(session: Session) -> dict[str, str]:
    """Every name a trade goes by (its code, Thai and English names, as `name_key` reads them) → its code."""
    names: dict[str, str] = {}
    for code, name_th, name_en in session.execute(
            select(Occupation.code, Occupation.name_th, Occupation.name_en)
            .where(Occupation.kind == "trade", Occupation.active == True)  # noqa: E712
            .order_by(Occupation.sort_order, Occupation.code)):
        for label in (code, name_th, name_en):
            names.setdefault(name_key(label), code)
    return names


def split_skills(items: Iterable[str], names: dict[str, str]) -> tuple[list[str], list[str]]:
    """Free-text skills read as trade codes where one names a trade exactly; the rest kept as words."""
    codes: list[str] = []
    rest: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            continue
        code = names.get(name_key(item))
        if code is not None:
            if code not in codes:
                codes.append(code)
        elif item.strip() not in rest:
            rest.append(item.strip())
    return codes, rest


def check_trade_codes(session: Session, field: str, value: Any) -> list[FieldError]:
    """The one rule on trade codes, every way in: a code (or each code of a list) is one of the
    configured, active trades; anything else is `unknown_reference`. Shapes are checked elsewhere."""
    values = value if isinstance(value, list) else [value]
    wanted = {v for v in values if isinstance(v, str) and v}
    if not wanted:
        return []
    if wanted - trade_codes(session):
        return [unknown_trade(field)]
    return []


# --- a village's match: who wants which trade, who teaches it ------------------------------------

@dataclass
class TradeMatch:
    """One trade in a village: the households that want to learn it (lowest income per person first),
    and the sages who teach it, of the village and of the rest of the district."""

    code: str
    households: list[Any] = field(default_factory=list)
    village_sages: list[Any] = field(default_factory=list)
    district_sages: list[Any] = field(default_factory=list)


@dataclass
class Suggestion:
    code: str
    wanted: int  # households of the village that want to learn it
    village_sages: int
    district_sages: int


def team_sage_ids(session: Session, village_id: str, fiscal_year: int) -> list[str]:
    """The sages of a village's trainer team of a fiscal year: its lead and its trainers."""
    from server.models import TeamMember, TrainerTeam

    team = session.execute(select(TrainerTeam).where(TrainerTeam.village_id == village_id,
                                                     TrainerTeam.fiscal_year == fiscal_year,
                                                     TrainerTeam.deleted == False)).scalar_one_or_none()  # noqa: E712
    if team is None:
        return []
    members = list(session.execute(select(TeamMember.sage_id).where(TeamMember.team_id == team.id)).scalars())
    return ([team.lead_sage_id] if team.lead_sage_id else []) + members


def team_teaches(session: Session, village_id: str, fiscal_year: int, trade: str) -> bool | None:
    """Whether any sage of the village's team of that year teaches `trade`; None when there is no team yet."""
    from server.models import Sage

    ids = team_sage_ids(session, village_id, fiscal_year)
    if not ids:
        return None
    skills = session.execute(select(Sage.skills).where(Sage.id.in_(ids), Sage.deleted == False)).scalars()  # noqa: E712
    return any(trade in (s or []) for s in skills)


def village_match(session: Session, village: Any) -> tuple[list[TradeMatch], Suggestion | None]:
    """For each trade that a household of the village wants or a sage of the village teaches: the
    households (lowest income per person first, an unknown income last) and the sages; and the
    trade a course of this village would best teach, with what makes it so."""
    from server.models import Household, Sage, Subdistrict, Village

    per_person = Household.annual_income * 1.0 / Household.members
    households = session.execute(
        select(Household).where(Household.village_id == village.id, Household.deleted == False,  # noqa: E712
                                Household.interest.is_not(None))
        .order_by(Household.annual_income.is_(None), per_person, Household.house_sort, Household.id)).scalars().all()
    district = session.execute(select(Subdistrict.district_code)
                               .where(Subdistrict.code == village.subdistrict_code)).scalar_one()
    sages = session.execute(
        select(Sage, Village.name).join(Village, Village.id == Sage.village_id)
        .join(Subdistrict, Subdistrict.code == Village.subdistrict_code)
        .where(Subdistrict.district_code == district, Sage.deleted == False)  # noqa: E712
        .order_by(Sage.name, Sage.id)).all()
    known = trade_codes(session, active_only=False)
    matches: dict[str, TradeMatch] = {}
    for household in households:
        if household.interest in known:
            matches.setdefault(household.interest, TradeMatch(household.interest)).households.append(household)
    for sage, _name in sages:
        if sage.village_id == village.id:
            for code in sage.skills or []:
                matches.setdefault(code, TradeMatch(code)).village_sages.append(sage)
    # The rest of the district's sages, for the trades the village wants or teaches.
    for sage, village_name in sages:
        if sage.village_id != village.id:
            for code in sage.skills or []:
                if code in matches:
                    matches[code].district_sages.append((sage, village_name))
    order = sorted(matches.values(), key=lambda m: (-len(m.households), -len(m.village_sages), m.code))
    return order, suggest(order)


def suggest(matches: list[TradeMatch]) -> Suggestion | None:
    """The course's trade: the one most households want among those a sage of the village teaches;
    failing that, the most wanted that a sage of the district teaches; failing that, the most wanted."""
    wanted = [m for m in matches if m.households]
    for usable in (lambda m: m.village_sages, lambda m: m.district_sages, lambda m: True):
        found = [m for m in wanted if usable(m)]
        if found:
            best = max(found, key=lambda m: (len(m.households), len(m.village_sages), len(m.district_sages)))
            return Suggestion(best.code, len(best.households), len(best.village_sages), len(best.district_sages))
    return None
