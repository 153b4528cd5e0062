"""User management for administrators: accounts, roles and the areas officers work in."""
from __future__ import annotations

import re

from litestar import Router, get, post
from litestar.response import Redirect, Template
from sqlmodel import Session, delete, select

from server.web.guards import admins
from server.audit.log import audit
from server.auth.access import NotFoundInArea
from server.auth.passwords import hash_password
from server.auth.signin import aware_utc
from server.core.dates import utc_now
from server.core.i18n import current_locale, gettext_
from server.auth.signin import ANY_NAME
from server.models import District, LoginThrottle, Subdistrict, User, UserArea
from server.models.users import ROLES
from server.web.forms import Form, FormState, single_values
from server.web.templates import render

MIN_PASSWORD = 10


def _form_context(db: Session) -> dict:
    return {
        "roles": ROLES,
        "districts": db.exec(select(District).order_by(District.code)).all(),
        "subdistricts": db.exec(select(Subdistrict).order_by(Subdistrict.code)).all(),
    }


@get("/admin/users", sync_to_thread=True)
def user_list(db: Session, user: User) -> Template:
    users = db.exec(select(User).order_by(User.role, User.username)).all()
    names = {s.code: s for s in db.exec(select(Subdistrict))}
    districts = {d.code: d for d in db.exec(select(District))}
    areas: dict[int, list[str]] = {}
    for area in db.exec(select(UserArea)):
        place = names.get(area.subdistrict_code or "")
        label = (place.name_en if current_locale.get() == "en" else place.name_th) if place else (
            area.subdistrict_code or area.village_id or "")
        areas.setdefault(area.user_id, []).append(label)
    # Names refused to some client address (each name once); a client refused for every name is not
    # a user's and waits out its lock.
    locked = db.exec(select(LoginThrottle).where(LoginThrottle.locked_until.is_not(None),
                                                 LoginThrottle.username != ANY_NAME)
                     .order_by(LoginThrottle.username)).all()
    now = utc_now()
    locked = list({t.username: t for t in locked if aware_utc(t.locked_until) > now}.values())
    return render("users.html", user=user, users=users, areas=areas, districts=districts, locked=locked)


@get("/admin/users/new", sync_to_thread=True)
def user_new(db: Session, user: User) -> Template:
    form = FormState(values={"role": "officer", "active": True, "subdistricts": []})
    return render("user_form.html", user=user, form=form, editing=None, **_form_context(db))


@get("/admin/users/{user_id:int}", sync_to_thread=True)
def user_edit(db: Session, user: User, user_id: int) -> Template:
    target = db.get(User, user_id)
    if target is None:
        raise NotFoundInArea()
    subdistricts = [a.subdistrict_code for a in db.exec(select(UserArea).where(UserArea.user_id == user_id))
                    if a.subdistrict_code]
    form = FormState(values={"username": target.username, "display_name": target.display_name,
                             "role": target.role, "district_code": target.district_code or "",
                             "active": target.active, "locale": target.locale,
                             "subdistricts": subdistricts})
    return render("user_form.html", user=user, form=form, editing=target, **_form_context(db))


def _validate(db: Session, data: dict, *, editing: User | None) -> FormState:
    subdistricts = [s for s in data.get("subdistricts", []) if s]
    form = FormState(values={**data, "subdistricts": subdistricts, "active": "active" in data})
    username = (data.get("username") or "").strip().lower()
    form.values["username"] = username
    if editing is None:
        if not re.fullmatch(r"[a-z0-9._-]{3,64}", username):
            form.error("username", gettext_("3–64 characters: letters a–z, digits, dot, dash or underscore."))
        elif db.exec(select(User).where(User.username == username)).first():
            form.error("username", gettext_("This username is already taken."))
    if not (data.get("display_name") or "").strip():
        form.error("display_name", gettext_("This field is required"))
    role = data.get("role")
    if role not in ROLES:
        form.error("role", gettext_("Choose a role."))
    password = data.get("password") or ""
    if (editing is None or password) and len(password) < MIN_PASSWORD:
        form.error("password", gettext_("At least {n} characters.").format(n=MIN_PASSWORD))
    district = data.get("district_code") or None
    if role == "supervisor" and not district:
        form.error("district_code", gettext_("A supervisor needs a district."))
    if district and db.get(District, district) is None:
        form.error("district_code", gettext_("Unknown district."))
    if role == "officer" and not subdistricts:
        form.error("subdistricts", gettext_("An officer needs at least one subdistrict."))
    for code in subdistricts:
        if db.get(Subdistrict, code) is None:
            form.error("subdistricts", gettext_("Unknown subdistrict."))
    return form


def _save(db: Session, target: User, data: dict, subdistricts: list[str]) -> None:
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


@post("/admin/users/new", sync_to_thread=True)
def user_create(db: Session, user: User, data: Form) -> Template | Redirect:
    data = single_values(data, lists=("subdistricts",))
    form = _validate(db, data, editing=None)
    if not form.ok:
        return render("user_form.html", user=user, form=form, editing=None, status_code=422,
                      **_form_context(db))
    target = User(username=form.values["username"], display_name="", password_hash="", role="officer")
    _save(db, target, data, form.values["subdistricts"])
    audit(db, action="create", entity="user", record_id=str(target.id), user_id=user.id,
          detail={"username": target.username, "role": target.role})
    db.commit()
    return Redirect(path="/admin/users")


@post("/admin/users/{user_id:int}", sync_to_thread=True)
def user_update(db: Session, user: User, user_id: int, data: Form) -> Template | Redirect:
    target = db.get(User, user_id)
    if target is None:
        raise NotFoundInArea()
    data = single_values(data, lists=("subdistricts",))
    form = _validate(db, data, editing=target)
    form.values["username"] = target.username
    if target.id == user.id and data.get("role") != "admin":
        form.error("role", gettext_("You cannot remove your own administrator role."))
    if target.id == user.id and "active" not in data:
        form.error("active", gettext_("You cannot deactivate your own account."))
    if not form.ok:
        return render("user_form.html", user=user, form=form, editing=target, status_code=422,
                      **_form_context(db))
    _save(db, target, data, form.values["subdistricts"])
    audit(db, action="update", entity="user", record_id=str(target.id), user_id=user.id,
          detail={"role": target.role, "active": target.active, "district": target.district_code,
                  "subdistricts": form.values["subdistricts"],
                  "password_changed": bool(data.get("password"))})
    db.commit()
    return Redirect(path="/admin/users")


@post("/admin/users/unlock/{username:str}", sync_to_thread=True)
def user_unlock(db: Session, user: User, username: str) -> Redirect:
    """Lift a sign-in lock before it runs out (a colleague who mistyped, confirmed by phone)."""
    if username != ANY_NAME and db.exec(select(LoginThrottle).where(LoginThrottle.username == username)).first():
        db.execute(delete(LoginThrottle).where(LoginThrottle.username == username))
        audit(db, action="unlock_sign_in", entity="user", record_id=username, user_id=user.id)
        db.commit()
    return Redirect(path="/admin/users")


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[admins], route_handlers=[user_list, user_new, user_edit, user_create, user_update, user_unlock]),
]
