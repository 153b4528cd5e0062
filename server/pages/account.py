"""Sign-in, sign-out and the language switch."""
from __future__ import annotations

from litestar import Router, Request, get, post
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.web.guards import public
from server.audit.log import audit
from server.auth.signin import authenticate
from server.core.dates import THAI_TIME, utc_now
from server.core.i18n import LOCALES, gettext_
from server.web.browser_session import (
    end_session,
    session_user,
    set_session_cookie,
    start_session,
)
from server.web.forms import Form, FormState, single_values
from server.web.locale import LANG_COOKIE
from server.web.templates import render
from server.models import Device
from server.auth.signin import client_address


@get("/login", sync_to_thread=True)
def login_page(request: Request, db: Session) -> Template | Redirect:
    if session_user(db, request) is not None:
        return Redirect(path="/")
    return render("login.html", user=None, form=FormState())


@post("/login", sync_to_thread=True)
def login_submit(request: Request, db: Session, data: Form) -> Template | Redirect:
    settings = request.app.state.settings
    data = single_values(data)
    username = (data.get("username") or "").strip()
    result = authenticate(db, settings, username, data.get("password") or "", client=client_address(request))
    form = FormState(values={"username": username})
    if result.user is None:
        if result.locked:
            form.error("password", gettext_(
                "Too many failed sign-ins. Try again after {time}.").format(
                time=result.locked_until.astimezone(THAI_TIME).strftime("%H:%M")))
        else:
            form.error("password", gettext_("Wrong username or password."))
        audit(db, action="sign_in_failed", detail={"username": username[:64]})
        db.commit()
        return render("login.html", user=None, form=form, status_code=401 if not result.locked else 429)
    token, _expires = start_session(db, result.user, settings)
    audit(db, action="sign_in", user_id=result.user.id)
    db.commit()
    response = Redirect(path="/")
    set_session_cookie(response, token, settings)
    if result.user.locale in LOCALES and not request.cookies.get(LANG_COOKIE):
        response.set_cookie(LANG_COOKIE, result.user.locale, path="/", samesite="lax", max_age=31536000)
    return response


@post("/logout", sync_to_thread=True)
def logout(request: Request, db: Session, data: Form) -> Redirect:
    user = session_user(db, request)
    end_session(db, request)
    if user is not None:
        audit(db, action="sign_out", user_id=user.id)
        # A phone signed out with no signal names its device: its token left the phone, so it ends here.
        device_id = str(single_values(data).get("device_id") or "")
        device = db.get(Device, device_id) if 0 < len(device_id) <= 36 and "\x00" not in device_id else None
        if device is not None and device.user_id == user.id and device.revoked_at is None:
            device.revoked_at = utc_now()
            db.add(device)
            audit(db, action="sign_out", user_id=user.id, device_id=device.id, detail={"via": "browser"})
    db.commit()
    response = Redirect(path="/login")
    response.delete_cookie("sammachip_session", path="/")
    return response


@get("/lang/{code:str}", sync_to_thread=False)
def switch_language(request: Request, code: str) -> Redirect:
    target = request.query_params.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = Redirect(path=target)
    if code in LOCALES:
        response.set_cookie(LANG_COOKIE, code, path="/", samesite="lax", max_age=31536000)
    return response


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[public], route_handlers=[login_page, login_submit, logout, switch_language]),
]
