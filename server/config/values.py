"""The district's configuration as the program reads it: target size, follow-up months, poverty lines, trades, 5 ก."""
from __future__ import annotations

import json

from sqlalchemy import bindparam
from sqlalchemy.engine import Row
from sqlalchemy.orm import Bundle
from sqlmodel import Session, select

from server.core.i18n import current_locale
from server.core.request_memo import answer_once
from server.models import (
    AppSetting,
    FiveKElement,
    Occupation,
    PovertyLine,
)

DEFAULT_HOUSEHOLDS_PER_VILLAGE = 20


DEFAULT_FOLLOW_UP_MONTHS = [3, 6, 12]


def setting(db: Session, key: str, default: str) -> str:
    row = db.get(AppSetting, key)
    return row.value if row is not None else default


def households_per_village(db: Session) -> int:
    try:
        return max(1, int(setting(db, "households_per_village", str(DEFAULT_HOUSEHOLDS_PER_VILLAGE))))
    except ValueError:
        return DEFAULT_HOUSEHOLDS_PER_VILLAGE


def rank_by_welfare_card(db: Session) -> bool:
    """Whether target selection lists holders of the state welfare card first (the configuration says)."""
    return setting(db, "rank_by_welfare_card", "0") == "1"


def follow_up_months(db: Session) -> list[int]:
    try:
        value = json.loads(setting(db, "follow_up_months", json.dumps(DEFAULT_FOLLOW_UP_MONTHS)))
        return [int(m) for m in value]
    except (ValueError, TypeError):
        return list(DEFAULT_FOLLOW_UP_MONTHS)


def poverty_line(db: Session, fiscal_year: int) -> int | None:
    """The จปฐ. income criterion (baht per person per year) of the plan period covering the year."""
    return db.exec(_POVERTY_LINE, params={"year": fiscal_year}).first()


_POVERTY_LINE = (select(PovertyLine.amount)
                 .where(PovertyLine.from_year <= bindparam("year"), PovertyLine.to_year >= bindparam("year"))
                 .order_by(PovertyLine.from_year.desc()))


# The columns of the occupation table the pages read (the whole table is a few dozen rows).
OCCUPATION = Bundle("occupation", Occupation.code, Occupation.kind, Occupation.name_th, Occupation.name_en,
                    Occupation.sort_order, Occupation.active)


def _occupation_table(db: Session) -> list[Row]:
    """Every occupation and group category, in their order: read once per request (a list page asks for
    the trades' names twice, the registry for the trades too)."""
    return answer_once(db, ("occupations",), (Occupation,), lambda: list(db.exec(_OCCUPATIONS).all()))


_OCCUPATIONS = select(OCCUPATION).order_by(Occupation.sort_order, Occupation.code)


def occupations(db: Session, kind: str = "trade", *, active_only: bool = True) -> list[Row]:
    """The occupations of a kind (OCCUPATION rows), in their order; only those in use unless told."""
    return [o for o in _occupation_table(db) if o.kind == kind and (o.active or not active_only)]


def occupation_names(db: Session, *, kind: str | None = None, active_only: bool = False) -> dict[str, str]:
    """code → name in the user's language (every occupation and group category unless `kind`)."""
    english = current_locale.get() == "en"
    return {o.code: (o.name_en if english else o.name_th) for o in _occupation_table(db)
            if (kind is None or o.kind == kind) and (o.active or not active_only)}


def five_k_elements(db: Session) -> list[FiveKElement]:
    return list(db.exec(select(FiveKElement).order_by(FiveKElement.sort_order, FiveKElement.code)).all())
