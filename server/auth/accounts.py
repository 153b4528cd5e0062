"""The office accounts an administrator manages: who they are, the subdistricts officers work in, and the
names locked out of signing in."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, delete, select

from server.auth.passwords import hash_password
from server.auth.signin import ANY_NAME, aware_utc
from server.core.dates import utc_now
from server.core.i18n import current_locale
from server.models import District, LoginThrottle, Subdistrict, User, UserArea


def all_districts(db: Session) -> list[District]:
    return list(db.exec(select(District).order_by(District.code)).all())


def all_subdistricts(db: Session) -> list[Subdistrict]:
    return list(db.exec(select(Subdistrict).order_by(Subdistrict.code)).all())


@dataclass(frozen=True)
class Accounts:
    """Every account, by role then name, with the names of the areas each works in."""
    users: list[User]
    areas: dict[int, list[str]]
    districts: dict[str, District]


def accounts(db: Session) -> Accounts:
    users = list(db.exec(select(User).order_by(User.role, User.username)).all())
    names = {s.code: s for s in db.exec(select(Subdistrict))}
    districts = {d.code: d for d in db.exec(select(District))}
    areas: dict[int, list[str]] = {}
    for area in db.exec(select(UserArea)):
        place = names.get(area.subdistrict_code or "")
        label = (place.name_en if current_locale.get() == "en" else place.name_th) if place else (
            area.subdistrict_code or area.village_id or "")
        areas.setdefault(area.user_id, []).append(label)
    return Accounts(users, areas, districts)


def locked_sign_ins(db: Session) -> list[LoginThrottle]:
    """Names refused to some client address now (each name once); a client refused for every name is not
    a user's and waits out its lock."""
    locked = db.exec(select(LoginThrottle).where(LoginThrottle.locked_until.is_not(None),
                                                 LoginThrottle.username != ANY_NAME)
                     .order_by(LoginThrottle.username)).all()
    now = utc_now()
    return list({t.username: t for t in locked if aware_utc(t.locked_until) > now}.values())


def officer_subdistricts(db: Session, *, user_id: int) -> list[str]:
    """The subdistricts an officer is assigned to."""
    return [a.subdistrict_code for a in db.exec(select(UserArea).where(UserArea.user_id == user_id))
            if a.subdistrict_code]


def username_taken(db: Session, *, username: str) -> bool:
    return db.exec(select(User).where(User.username == username)).first() is not None


def save_account(db: Session, *, target: User, data: dict[str, Any], subdistricts: list[str]) -> None:
    """Write the account's fields and, for an officer, its subdistricts (replacing the ones it had)."""
    target.display_name = data["display_name"].strip()
    target.role = data["role"]
    target.district_code = data.get("district_code") or None
    target.active = "active" in data
    target.locale = data.get("locale") if data.get("locale") in ("th", "en") else "th"
    if data.get("password"):
        target.password_hash = hash_password(data["password"])
    db.add(target)
    db.flush()
    db.exec(delete(UserArea).where(UserArea.user_id == target.id))
    if target.role == "officer":
        for code in subdistricts:
            db.add(UserArea(user_id=target.id, subdistrict_code=code))


def unlock_sign_in(db: Session, *, username: str) -> bool:
    """Lift the sign-in locks of a name; False when it had none (nothing to record)."""
    if username == ANY_NAME or db.exec(select(LoginThrottle).where(LoginThrottle.username == username)).first() is None:
        return False
    db.execute(delete(LoginThrottle).where(LoginThrottle.username == username))
    return True
