"""The household register's questions: which households of the user's area match the list's filters, one
page of them in village and natural house-number order."""
from __future__ import annotations

from sqlalchemy import ColumnElement, or_
from sqlalchemy.engine import Row
from sqlalchemy.orm import Bundle
from sqlmodel import Session, select

from server.auth.areas import area_village_ids
from server.core.paging import Page, page_of
from server.models import Household, User, Village


def household_conditions(db: Session, *, user: User, filters: dict[str, str]) -> list[ColumnElement[bool]]:
    """The area's households that match the list's filters (`village`, `q`), as SQL conditions."""
    conditions: list[ColumnElement[bool]] = [Household.deleted == False]  # noqa: E712
    ids = area_village_ids(db, user)
    if ids is not None:
        conditions.append(Household.village_id.in_(ids or {""}))
    if filters["village"]:
        conditions.append(Household.village_id == filters["village"])
    text = filters["q"].strip().lower()
    if text:
        # icontains: ILIKE on PostgreSQL, whose planner reads it from the column statistics (a lower()
        # expression it cannot, and it then joins the villages as if nothing matched); lower() LIKE on SQLite.
        conditions.append(or_(Household.head_name.icontains(text, autoescape=True),
                              Household.house_no.icontains(text, autoescape=True),
                              Household.citizen_id.endswith(text, autoescape=True)))
    return conditions


# The columns the register's list shows: whole records would parse 50 version maps and timestamps a page.
LISTED_HOUSEHOLD = Bundle("household", Household.id, Household.village_id, Household.house_no, Household.head_name,
                          Household.citizen_id, Household.members, Household.annual_income, Household.interest)


def household_page_rows(db: Session, *, user: User, filters: dict[str, str], page: str | None,
                        per_page: int) -> tuple[Page, list[Row]]:
    """One page of the register (LISTED_HOUSEHOLD rows): filtered, counted, sorted (village code, house
    number read naturally) and paged by the database."""
    conditions = household_conditions(db, user=user, filters=filters)
    found = page_of(db, select(Household.id).where(*conditions), page, per_page)
    households = list(db.exec(
        select(LISTED_HOUSEHOLD).join(Village, Village.id == Household.village_id).where(*conditions)
        .order_by(Village.code, Household.house_sort, Household.id).offset(found.offset).limit(found.size)).all())
    return found, households
