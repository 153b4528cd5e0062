"""Phones signed in to the sync API: each user sees and revokes their own, a supervisor those of their
district's users, an admin anyone's (a lost phone); every revocation is audited."""
from __future__ import annotations

from typing import Annotated, Any

from litestar import Router, MediaType, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from msgspec import Meta, Struct
from sqlmodel import Session

from server.web.guards import public, signed_in
from server.api.auth import issue_device_token
from server.audit.log import audit
from server.auth.access import NotFoundInArea
from server.auth.phones import managed_device, managed_devices
from server.core.dates import utc_now
from server.models import User
from server.web.browser_session import session_user
from server.web.templates import render
from server.api.auth import rename_device
from server.web.forms import text_value
from server.web.forms import Form
from server.core.i18n import gettext_
from server.api.handoff import MAX_FILE_BYTES, HandoffRefused, hand_in, read_handoff

Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


class BrowserTokenRequest(Struct, forbid_unknown_fields=False):
    """The optional body of POST /field/device-token."""

    device_name: Annotated[str, Meta(max_length=200)] = ""


@get("/devices", sync_to_thread=True)
def device_list(db: Session, user: User) -> Template:
    return render("devices.html", user=user, devices=managed_devices(db, user=user))


@post("/devices/{device_id:str}/name", sync_to_thread=True)
def device_rename(db: Session, user: User, device_id: str, data: Form) -> Redirect:
    """A supervisor (or the owner, or an admin) names a phone so it can be told apart."""
    device = managed_device(db, user=user, device_id=device_id) if len(device_id) <= 36 else None
    if device is None:
        raise NotFoundInArea()
    if rename_device(db, device, text_value(data, "name") or "", by=user):
        db.commit()
    return Redirect(path="/devices")


@post("/devices/{device_id:str}/revoke", sync_to_thread=True)
def device_revoke(db: Session, user: User, device_id: str) -> Redirect:
    device = managed_device(db, user=user, device_id=device_id)
    if device is None:
        raise NotFoundInArea()
    if device.revoked_at is None:
        device.revoked_at = utc_now()
        db.add(device)
        audit(db, action="revoke_device", user_id=user.id, entity="device", record_id=device.id,
              detail={"owner_user_id": device.user_id, "name": device.name})
        db.commit()
    return Redirect(path="/devices")


@post("/devices/handoff", sync_to_thread=True)
def device_handoff(db: Session, user: User, data: Upload) -> Template:
    """An officer's unsent captures handed in from a file their phone saved (server/api/handoff.py):
    by the officer, or a supervisor or admin whose area covers theirs; answered with what became of them."""
    upload = data.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise HandoffRefused(422, gettext_("Choose the file the phone saved."))
        handoff = read_handoff(upload.file.read(MAX_FILE_BYTES + 1))
        outcome = hand_in(db, user, handoff, file_name=upload.filename)
    except HandoffRefused as refused:
        db.rollback()
        return render("devices_handoff.html", user=user, outcome=None, error=refused.message,
                      status_code=refused.status)
    db.commit()
    return render("devices_handoff.html", user=user, outcome=outcome, error=None)


@post("/field/device-token", status_code=201, sync_to_thread=True)
def device_token_for_browser(db: Session, request: Request, data: BrowserTokenRequest | None = None) -> Response:
    """The phone's device token for the officer signed in in this browser: no second password.

    The field pages sync with this token, so a week offline outlives the browser session, and the
    phone appears on /devices where it can be revoked. Not signed in is a JSON 401, not a redirect:
    the caller is a script, not a page.
    """
    user = session_user(db, request)
    if user is None:
        return Response(content={"error": "login_required", "message": "Sign in first"},
                        status_code=401, media_type=MediaType.JSON)
    token = issue_device_token(db, user=user, device_name=data.device_name if data is not None else "",
                               app_version=request.headers.get("x-app-version"), via="browser",
                               user_agent=request.headers.get("user-agent"))
    db.commit()
    return Response(content=token, status_code=201, media_type=MediaType.JSON)


@get("/field/session-user", sync_to_thread=True)
def session_user_for_phone(db: Session, request: Request) -> Response:
    """Who is signed in in this browser, for the phone to keep each user's data apart (SYNC.md,
    Shared phones): a JSON 401 when nobody is. Never a token: each user gets their own at sign-in."""
    user = session_user(db, request)
    db.rollback()
    if user is None:
        return Response(content={"error": "login_required", "message": "Sign in first"},
                        status_code=401, media_type=MediaType.JSON, headers={"Cache-Control": "no-store"})
    return Response(content={"user": {"id": user.id, "username": user.username, "role": user.role}},
                    media_type=MediaType.JSON, headers={"Cache-Control": "no-store"})


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[signed_in], route_handlers=[device_list, device_rename, device_revoke, device_handoff]),
    Router(path="/", guards=[public], route_handlers=[device_token_for_browser, session_user_for_phone]),
]
