"""The area a user may see and change: the one place every page and the sync engine ask."""
from __future__ import annotations

from sqlmodel import Session, select

from server.models import Subdistrict, User, UserArea, Village


def district_village_ids(session: Session, district_code: str) -> set[str]:
    """Village ids of one district."""
    return set(session.exec(select(Village.id).join(Subdistrict, Subdistrict.code == Village.subdistrict_code)
                            .where(Subdistrict.district_code == district_code)))


def area_village_ids(session: Session, user: User) -> set[str] | None:
    """Village ids in the user's area; None means the whole database (admins)."""
    if user.role == "admin":
        return None
    if user.role == "supervisor":
        return district_village_ids(session, user.district_code) if user.district_code else set()
    areas = session.exec(select(UserArea).where(UserArea.user_id == user.id)).all()
    subdistricts = [a.subdistrict_code for a in areas if a.subdistrict_code]
    villages = {a.village_id for a in areas if a.village_id}
    if subdistricts:
        villages |= set(session.exec(select(Village.id).where(Village.subdistrict_code.in_(subdistricts))))
    return villages


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


def managed_user_ids(session: Session, user: User) -> set[int] | None:
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
