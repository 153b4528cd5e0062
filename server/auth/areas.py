"""The area a user may see and change: the one place every page and the sync engine ask."""
from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import bindparam, func, union
from sqlalchemy.engine import Row
from sqlalchemy.orm import Bundle
from sqlmodel import Session, select

from server.auth.access import NotFoundInArea
from server.core.request_memo import answer_once
from server.core.i18n import current_locale, gettext_
from server.core.numbers import MAX_INT
from server.models import (
    OccupationGroup,
    Subdistrict,
    Training,
    User,
    UserArea,
    Village,
)


class AreaHolder(Protocol):
    """Whose area is asked: a signed-in user (`User`), or the user a device token speaks for."""

    @property
    def id(self) -> int | None: ...
    @property
    def role(self) -> str: ...
    @property
    def district_code(self) -> str | None: ...


def district_village_ids(session: Session, district_code: str) -> set[str]:
    """Village ids of one district."""
    return set(session.exec(_DISTRICT_VILLAGES, params={"district": district_code}))


# The statements every request asks, built once (building one costs more than SQLite's answer), on the
# tables' columns: plain statements skip the ORM's step on every execution (every push and pull asks).
_VILLAGE, _SUBDISTRICT, _USER_AREA = Village.__table__.c, Subdistrict.__table__.c, UserArea.__table__.c
_DISTRICT_VILLAGES = (select(_VILLAGE.id).join_from(Village.__table__, Subdistrict.__table__,
                                                    _SUBDISTRICT.code == _VILLAGE.subdistrict_code)
                      .where(_SUBDISTRICT.district_code == bindparam("district")))
# An officer's villages: those assigned, and those of the subdistricts assigned. A union, not an OR:
# each part reads its index (an OR over the village table reads all of it).
_OFFICER_VILLAGES = union(
    select(_USER_AREA.village_id).where(_USER_AREA.user_id == bindparam("user"), _USER_AREA.village_id.is_not(None)),
    select(_VILLAGE.id).join_from(Village.__table__, UserArea.__table__,
                                  _USER_AREA.subdistrict_code == _VILLAGE.subdistrict_code)
    .where(_USER_AREA.user_id == bindparam("user")))


# What a user's area is read from: a write to one of these forgets the area a request remembered.
AREA_TABLES = (UserArea, Village, Subdistrict, User)


def area_village_ids(session: Session, user: AreaHolder) -> set[str] | None:
    """Village ids in the user's area; None means the whole database (admins). Read once per request
    (server/core/request_memo.py); the caller gets its own copy."""
    ids = answer_once(session, ("area", user.id, user.role, user.district_code), AREA_TABLES,
                      lambda: _area_village_ids(session, user))
    return None if ids is None else set(ids)


def _area_village_ids(session: Session, user: AreaHolder) -> set[str] | None:
    if user.role == "admin":
        return None
    if user.role == "supervisor":
        return district_village_ids(session, user.district_code) if user.district_code else set()
    return set(session.exec(_OFFICER_VILLAGES, params={"user": user.id}).scalars())  # a phone's every push and pull


def area_subdistrict_codes(session: Session, user: User) -> set[str] | None:
    ids = area_village_ids(session, user)
    if ids is None:
        return None
    if not ids:
        return set()
    return set(session.exec(select(Village.subdistrict_code).where(Village.id.in_(ids))))


def can_see_village(session: Session, user: User, village_id: str | None) -> bool:
    ids = area_village_ids(session, user)
    return ids is None or (village_id is not None and village_id in ids)


def managed_user_ids(session: Session, user: AreaHolder) -> set[int] | None:
    """Whose phones `user` may see and revoke: an admin anyone's (None); a supervisor those of every user
    of their district (by the user's district or the subdistricts and villages they cover), their own
    included; anyone else only their own."""
    if user.role == "admin":
        return None
    if user.role != "supervisor" or not user.district_code:
        return {user.id}
    district = user.district_code
    ids = set(session.exec(select(User.id).where(User.district_code == district)))
    ids |= set(session.exec(
        select(UserArea.user_id).join(Subdistrict, Subdistrict.code == UserArea.subdistrict_code)
        .where(Subdistrict.district_code == district)))
    ids |= set(session.exec(
        select(UserArea.user_id).join(Village, Village.id == UserArea.village_id)
        .join(Subdistrict, Subdistrict.code == Village.subdistrict_code)
        .where(Subdistrict.district_code == district)))
    return ids | {user.id}


def may_place_in_village(db: Session, user: User, village_id: str) -> bool:
    """A village that exists and lies in the user's area: one a record of theirs may be put in.

    Asked of that one village (a form's save, which shows no list of the area): the same areas as
    `_area_village_ids`, read as one row rather than as the area's hundred ids."""
    if user.role == "admin":
        return db.exec(_VILLAGE_EXISTS, params={"village": village_id}).first() is not None
    if user.role == "supervisor":
        return bool(user.district_code) and db.exec(
            _VILLAGE_IN_DISTRICT, params={"village": village_id, "district": user.district_code}).first() is not None
    return db.exec(_VILLAGE_OF_OFFICER, params={"village": village_id, "user": user.id}).first() is not None


_VILLAGE_EXISTS = select(Village.id).where(Village.id == bindparam("village"))
_VILLAGE_IN_DISTRICT = _DISTRICT_VILLAGES.where(Village.id == bindparam("village"))
# The officer's rule is the one of `_OFFICER_VILLAGES`, asked of one village.
_VILLAGE_OF_OFFICER = select(Village.id).where(Village.id == bindparam("village"), Village.id.in_(_OFFICER_VILLAGES))


# The columns a village list, filter or option shows. Whole records would parse each village's version map
# and timestamps, for a district's hundred villages on every list page, for nothing shown.
VILLAGE_LINE = Bundle("village", Village.id, Village.code, Village.name, Village.number, Village.subdistrict_code)
SUBDISTRICT_LINE = Bundle("subdistrict", Subdistrict.code, Subdistrict.name_th, Subdistrict.name_en,
                          Subdistrict.district_code)


def area_villages(db: Session, user: User) -> list[tuple[Row, Row]]:
    """Villages the user may see, with their subdistricts, in geocode order: (VILLAGE_LINE, SUBDISTRICT_LINE)
    rows. Read once per request, like the area."""
    return list(answer_once(db, ("area villages", user.id, user.role, user.district_code), AREA_TABLES,
                            lambda: _area_villages(db, user)))


_VILLAGE_LINES = (select(VILLAGE_LINE, SUBDISTRICT_LINE).join(Subdistrict, Subdistrict.code == Village.subdistrict_code)
                  .where(Village.deleted == False).order_by(Village.code))  # noqa: E712
_AREA_VILLAGE_LINES = _VILLAGE_LINES.where(Village.id.in_(bindparam("ids", expanding=True)))


def _area_villages(db: Session, user: User) -> list[tuple[Row, Row]]:
    ids = area_village_ids(db, user)
    if ids is None:
        return [tuple(row) for row in db.exec(_VILLAGE_LINES).all()]
    if not ids:
        return []
    return [tuple(row) for row in db.exec(_AREA_VILLAGE_LINES, params={"ids": list(ids)}).all()]


def village_options(villages: list[tuple[Row, Row]]) -> list[tuple[str, str]]:
    """(id, label) pairs for a village <select>: name, village number and subdistrict."""
    english = current_locale.get() == "en"
    return [(v.id, f"{v.name} ({gettext_('no. {n}').format(n=v.number)}, "
                   f"{s.name_en if english else s.name_th})") for v, s in villages]


def area_subdistricts(db: Session, user: User) -> list[Row]:
    """The subdistricts of the user's villages (SUBDISTRICT_LINE rows), in geocode order."""
    seen: dict[str, Row] = {}
    for _village, subdistrict in area_villages(db, user):
        seen.setdefault(subdistrict.code, subdistrict)
    return list(seen.values())


def area_district_codes(db: Session, user: User) -> set[str] | None:
    """Districts the user works in (partners and publicity are district-wide); None for admins."""
    if user.role == "admin":
        return None
    codes = {s.district_code for s in area_subdistricts(db, user)}
    if user.district_code:
        codes.add(user.district_code)
    return codes


def village_in_area(db: Session, user: User, village_id: str | None) -> Village:
    """The village, or NotFoundInArea when it does not exist or lies outside the user's area."""
    village = db.get(Village, village_id) if village_id else None
    if village is None or village.deleted:
        raise NotFoundInArea()
    ids = area_village_ids(db, user)
    if ids is not None and village.id not in ids:
        raise NotFoundInArea()
    return village


def row_by_id(db: Session, model: Any, record_id: int) -> Any:
    """The row with this integer key, or None, also for an id no column can hold (a crafted URL)."""
    if not 0 < record_id <= MAX_INT:
        return None
    return db.get(model, record_id)


def record_in_area(db: Session, user: User, model: Any, record_id: str | int) -> Any:
    """A record carrying `village_id`, answered 404 when missing, deleted or outside the area."""
    record = db.get(model, record_id)
    if record is None or getattr(record, "deleted", False):
        raise NotFoundInArea()
    village_in_area(db, user, record.village_id)
    return record


def training_in_area(db: Session, user: User, training_id: str) -> Training:
    return record_in_area(db, user, Training, training_id)


def group_in_area(db: Session, user: User, group_id: str) -> OccupationGroup:
    return record_in_area(db, user, OccupationGroup, group_id)


def area_village_count(db: Session, *, village_ids: set[str] | None) -> int:
    """How many villages an area (`area_village_ids`) holds: the whole country's undeleted ones for None."""
    if village_ids is not None:
        return len(village_ids)
    return db.exec(select(func.count()).select_from(Village).where(Village.deleted == False)).one()  # noqa: E712
