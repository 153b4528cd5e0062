"""The sage registry's questions: which sages of the user's area match the registry's filters, one page of them."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, func, or_
from sqlalchemy.engine import Row
from sqlalchemy.orm import Bundle
from sqlmodel import Session, select

from server.auth.areas import area_village_ids
from server.config.values import occupation_names
from server.core.paging import Page, page_of, paged
from server.models import Sage, User, Village


def _has_skill(db: Session, text: str, names: dict[str, str]) -> ColumnElement[bool]:
    """Sages with a skill whose text or, for a trade code, whose name in the user's language contains
    `text` (lower case). Skills are a JSON list: the database reads its items (SQLite's json_each,
    PostgreSQL's json_array_elements_text), so an item matches however its JSON was written."""
    codes = [code for code, name in names.items() if text in name.lower()]
    elements = (func.json_array_elements_text if db.get_bind().dialect.name == "postgresql"
                else func.json_each)
    skill = elements(Sage.skills).table_valued("value").alias("skill")
    return exists(select(1).select_from(skill).where(
        or_(skill.c.value.icontains(text, autoescape=True), skill.c.value.in_(codes))))


def _chosen(in_area: bool, one_village: bool, one_subdistrict: bool) -> list[ColumnElement[bool]]:
    """The sages of the area (`:area`), of the village (`:village`) and subdistrict (`:subdistrict`) chosen."""
    conditions: list[ColumnElement[bool]] = [Sage.deleted == False]  # noqa: E712
    if in_area:
        conditions.append(Sage.village_id.in_(bindparam("area", expanding=True)))
    if one_village:
        conditions.append(Sage.village_id == bindparam("village"))
    if one_subdistrict:
        conditions.append(Sage.village_id.in_(select(Village.id).where(
            Village.subdistrict_code == bindparam("subdistrict"))))
    return conditions


def _searched(db: Session, filters: dict[str, str]) -> list[ColumnElement[bool]]:
    """The sages that match the registry's searches (`skill`, `q`); their patterns are part of the statement."""
    conditions: list[ColumnElement[bool]] = []
    skill = filters["skill"].strip().lower()
    text = filters["q"].strip().lower()
    names = occupation_names(db) if skill or text else {}
    if skill:
        conditions.append(or_(_has_skill(db, skill, names), Sage.skills_note.icontains(skill, autoescape=True)))
    if text:
        conditions.append(or_(Sage.name.icontains(text, autoescape=True),
                              Sage.phone.contains(text, autoescape=True), _has_skill(db, text, names),
                              Sage.skills_note.icontains(text, autoescape=True)))
    return conditions


# The columns a registry row shows (server/templates/_sage_row.html): whole records would parse each row's
# version map and timestamps.
LISTED_SAGE = Bundle("sage", Sage.id, Sage.village_id, Sage.name, Sage.skills, Sage.skills_note, Sage.phone,
                     Sage.citizen_id, Sage.found_by, Sage.workshop_date)


def sage_page_rows(db: Session, *, user: User, filters: dict[str, str], page: str | None,
                   per_page: int) -> tuple[Page, list[Row]]:
    """One page of the registry (LISTED_SAGE rows) of the user's area matching its filters (`q`, `village`,
    `subdistrict`, `skill`), by name: filtered, counted and paged by the database."""
    area = area_village_ids(db, user)
    shape = (area is not None, bool(filters["village"]), bool(filters["subdistrict"]))
    searched = _searched(db, filters)
    # Without a search the statements are built once per shape; a search's patterns are part of its own.
    matching, rows = _registry_statements(_chosen(*shape) + searched) if searched else _registry_shape(*shape)
    params: dict[str, Any] = {"area": sorted(area or ()), "village": filters["village"],
                              "subdistrict": filters["subdistrict"]}
    found = page_of(db, matching, page, per_page, params)
    sages = list(db.exec(rows, params={**params, **found.bounds}).all())
    return found, sages


def _registry_statements(conditions: list[ColumnElement[bool]]) -> tuple[Select, Select]:
    """The registry's sages matching `conditions` (their ids, to count), and one page of them by name
    (`:offset`, `:limit`)."""
    return (select(Sage.id).where(*conditions),
            paged(select(LISTED_SAGE).where(*conditions).order_by(Sage.name, Sage.id)))


@lru_cache(maxsize=8)
def _registry_shape(in_area: bool, one_village: bool, one_subdistrict: bool) -> tuple[Select, Select]:
    return _registry_statements(_chosen(in_area, one_village, one_subdistrict))

