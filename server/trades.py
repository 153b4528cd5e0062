"""Trades, coded everywhere: the configured trade list, the one rule on trade codes (pages, import and
push), reading a trade from its name, and a village's match of households, sages and trades."""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import rules
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


def check_trade_codes(session: Session, field: str, value: Any) -> list[rules.FieldError]:
    """The one rule on trade codes, every way in: a code (or each code of a list) is one of the
    configured, active trades; anything else is `unknown_reference`. Shapes are checked elsewhere."""
    values = value if isinstance(value, list) else [value]
    wanted = {v for v in values if isinstance(v, str) and v}
    if not wanted:
        return []
    if wanted - trade_codes(session):
        return [rules.unknown_trade(field)]
    return []
