"""The household register's questions: which households of the user's area match the list's filters, one
page of them in village and natural house-number order."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, or_
from sqlalchemy.engine import Row
from sqlalchemy.orm import Bundle
from sqlmodel import Session, select

from server.auth.areas import area_village_ids
from server.core.paging import Page, page_of, paged
from server.models import Household, User, Village


# The columns the register's list shows: whole records would parse 50 version maps and timestamps a page.
LISTED_HOUSEHOLD = Bundle("household", Household.id, Household.village_id, Household.house_no, Household.head_name,
                          Household.citizen_id, Household.members, Household.annual_income, Household.interest)


def household_page_rows(db: Session, *, user: User, filters: dict[str, str], page: str | None,
                        per_page: int) -> tuple[Page, list[Row]]:
    """One page of the register (LISTED_HOUSEHOLD rows) of the user's area, matching the list's filters
    (`village`, `q`): filtered, counted, sorted (village code, house number read naturally) and paged by
    the database."""
    area = area_village_ids(db, user)
    text = filters["q"].strip().lower()
    shape = (area is not None, bool(filters["village"]))
    # Without a search the statements are built once per shape; a search's patterns are part of its own.
    matching, rows = _register_statements(*shape, text) if text else _register_shape(*shape)
    params: dict[str, Any] = {"area": sorted(area or ()), "village": filters["village"]}
    found = page_of(db, matching, page, per_page, params)
    households = list(db.exec(rows, params={**params, **found.bounds}).all())
    return found, households


def _register_statements(in_area: bool, one_village: bool, text: str = "") -> tuple[Select, Select]:
    """The register's households matching a list's filters (their ids, to count), and one page of them
    (`:offset`, `:limit`). The area's villages are `:area`, the village chosen `:village`."""
    conditions: list[ColumnElement[bool]] = [Household.deleted == False]  # noqa: E712
    if in_area:
        conditions.append(Household.village_id.in_(bindparam("area", expanding=True)))
    if one_village:
        conditions.append(Household.village_id == bindparam("village"))
    if text:
        # icontains: ILIKE on PostgreSQL, whose planner reads it from the column statistics (a lower()
        # expression it cannot, and it then joins the villages as if nothing matched); lower() LIKE on SQLite.
        conditions.append(or_(Household.head_name.icontains(text, autoescape=True),
                              Household.house_no.icontains(text, autoescape=True),
                              Household.citizen_id.endswith(text, autoescape=True)))
    matching = select(Household.id).where(*conditions)
    rows = paged(select(LISTED_HOUSEHOLD).join(Village, Village.id == Household.village_id).where(*conditions)
                 .order_by(Village.code, Household.house_sort, Household.id))
    return matching, rows


_register_shape = lru_cache(maxsize=8)(_register_statements)
