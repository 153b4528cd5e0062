"""User management for administrators: accounts, roles and the areas officers work in."""
from __future__ import annotations

import re

from litestar import Router, get, post
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.web.guards import admins
from server.audit.log import audit
from server.auth.access import NotFoundInArea
from server.auth.accounts import (
    accounts,
    all_districts,
    all_subdistricts,
    locked_sign_ins,
    officer_subdistricts,
    save_account,
    unlock_sign_in,
    username_taken,
)
from server.core.i18n import gettext_
from server.models import District, Subdistrict, User
from server.models.users import ROLES
from server.web.forms import Form, FormState, single_values
from server.web.templates import render

MIN_PASSWORD = 10


def _form_context(db: Session) -> dict:
    return {
        "roles": ROLES,
        "districts": all_districts(db),
        "subdistricts": all_subdistricts(db),
    }


@get("/admin/users", sync_to_thread=True)
def user_list(db: Session, user: User) -> Template:
    found = accounts(db)
    return render("users.html", user=user, users=found.users, areas=found.areas, districts=found.districts,
                  locked=locked_sign_ins(db))


@get("/admin/users/new", sync_to_thread=True)
def user_new(db: Session, user: User) -> Template:
    form = FormState(values={"role": "officer", "active": True, "subdistricts": []})
    return render("user_form.html", user=user, form=form, editing=None, **_form_context(db))


@get("/admin/users/{user_id:int}", sync_to_thread=True)
def user_edit(db: Session, user: User, user_id: int) -> Template:
    target = db.get(User, user_id)
    if target is None:
        raise NotFoundInArea()
    subdistricts = officer_subdistricts(db, user_id=user_id)
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
        elif username_taken(db, username=username):
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


@post("/admin/users/new", sync_to_thread=True)
def user_create(db: Session, user: User, data: Form) -> Template | Redirect:
    data = single_values(data, lists=("subdistricts",))
    form = _validate(db, data, editing=None)
    if not form.ok:
        return render("user_form.html", user=user, form=form, editing=None, status_code=422,
                      **_form_context(db))
    target = User(username=form.values["username"], display_name="", password_hash="", role="officer")
    save_account(db, target=target, data=data, subdistricts=form.values["subdistricts"])
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
    save_account(db, target=target, data=data, subdistricts=form.values["subdistricts"])
    audit(db, action="update", entity="user", record_id=str(target.id), user_id=user.id,
          detail={"role": target.role, "active": target.active, "district": target.district_code,
                  "subdistricts": form.values["subdistricts"],
                  "password_changed": bool(data.get("password"))})
    db.commit()
    return Redirect(path="/admin/users")


@post("/admin/users/unlock/{username:str}", sync_to_thread=True)
def user_unlock(db: Session, user: User, username: str) -> Redirect:
    """Lift a sign-in lock before it runs out (a colleague who mistyped, confirmed by phone)."""
    if unlock_sign_in(db, username=username):
        audit(db, action="unlock_sign_in", entity="user", record_id=username, user_id=user.id)
        db.commit()
    return Redirect(path="/admin/users")


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[admins], route_handlers=[user_list, user_new, user_edit, user_create, user_update, user_unlock]),
]
