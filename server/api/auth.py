"""Device tokens: sign in from a phone, the bearer-token check, and the list of a user's devices."""
from __future__ import annotations

from dataclasses import dataclass, replace

import anyio
from datetime import datetime, timedelta

from litestar import Router, Request, delete, get, post
from litestar import put
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import Scope
from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from server.web.guards import device_token, public
from server.api.errors import ApiError
from server.api.json_body import small_json_body_middleware
from server.api.schemas import (
    INVALID_REQUEST,
    UNAUTHORIZED,
    DeviceInfo,
    DeviceNameRequest,
    ErrorBody,
    TokenRequest,
    TokenResponse,
    TooManyAttemptsBody,
    UserInfo,
)
from server.audit.log import audit
from server.auth.areas import managed_user_ids
from server.auth.passwords import hash_token, new_token
from server.auth.signin import authenticate, aware_utc
from server.core.db import write_intent, writer_beside
from server.auth.signin import client_address
from server.core.db import ACTING_USER
from server.models import Device, User
from server.core.dates import utc_now
from server.auth.device_names import clean, default_name
from server.models.base import new_id
from server.web.observability import note_user
from server.web.request_session import session_in, session_of

# last_seen_at is written at most this often per device, so reads do not turn into writes.
_SEEN_EVERY = timedelta(seconds=60)
_UNAUTHORIZED = {400: INVALID_REQUEST, 401: UNAUTHORIZED}


@dataclass(frozen=True)
class TokenUser:
    """The user a device token speaks for: what the API asks of them (their area, their name)."""

    id: int
    username: str
    role: str
    district_code: str | None
    active: bool


@dataclass(frozen=True)
class TokenDevice:
    """The device a token belongs to, with what the check keeps up to date."""

    id: str
    user_id: int
    revoked_at: datetime | None
    last_seen_at: datetime | None
    app_version: str | None
    pending_ops: int | None


@dataclass
class Caller:
    """The authenticated device and its user."""

    user: TokenUser
    device: TokenDevice


def _unauthorized(error: str, message: str) -> ApiError:
    return ApiError(401, error, message, headers={"WWW-Authenticate": "Bearer"})


# The device and its user in one plain statement, built once, on the tables' columns: every push and
# pull asks, and loading them as the ORM's Device and User cost twice as much.
_D, _U = Device.__table__.c, User.__table__.c
_DEVICE_COLUMNS = (_D.id, _D.user_id, _D.revoked_at, _D.last_seen_at, _D.app_version, _D.pending_ops)
_USER_COLUMNS = (_U.id, _U.username, _U.role, _U.district_code, _U.active)
_DEVICE_AND_USER = (select(*_DEVICE_COLUMNS, *(c.label(f"user_{c.name}") for c in _USER_COLUMNS))
                    .join_from(Device.__table__, User.__table__, _U.id == _D.user_id)
                    .where(_D.token_hash == bindparam("token_hash")))


def bearer_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header; ApiError 401 when there is none (no
    database needed to say so)."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("missing_token", "Send Authorization: Bearer <token>")
    return token


def check_token(db: Session, authorization: str) -> tuple[TokenDevice, TokenUser]:
    """The device and user behind an `Authorization` header's bearer token; ApiError 401 if none."""
    token = bearer_token(authorization)
    found = db.execute(_DEVICE_AND_USER, {"token_hash": hash_token(token)}).first()
    if found is None or found.revoked_at is not None or not found.user_active:
        raise _unauthorized("invalid_token", "The token is not valid or has been revoked; sign in again")
    device = TokenDevice(*found[:len(_DEVICE_COLUMNS)])
    user = TokenUser(*found[len(_DEVICE_COLUMNS):])
    return device, user


# Where a request keeps its caller once identified (by the push's body middleware, before a large or
# compressed body is read): `caller_of` and the caller dependency then hand it over, with no second
# look-up and no second trip to a thread.
_CALLER = "sammachip.caller"


def check_request_token(scope: Scope) -> ApiError | None:
    """Identify the request's caller by its bearer token, in the request's session (a read), and keep it
    for `caller_of`; the problem (401) if there is none."""
    db = session_in(scope)
    authorization = next((v for k, v in scope["headers"] if k.lower() == b"authorization"), b"")
    with write_intent(False):
        try:
            checked = check_token(db, authorization.decode("latin-1"))
        except ApiError as problem:
            db.rollback()
            return problem
        db.commit()
    scope[_CALLER] = _identify(Request(scope), db, checked)  # type: ignore[literal-required]
    return None


def _pending_ops(header: str | None, before: int | None) -> int | None:
    """What waits in the phone's outbox as it says (`X-Pending-Ops`); anything else keeps what it said before."""
    if header is None or not header.strip().isdigit() or len(header.strip()) > 7:
        return before
    return int(header.strip())


async def provide_caller(request: Request) -> Caller:
    """The `caller` dependency: the device behind `Authorization: Bearer <token>`, or 401. Identified in
    the thread pool (it reads the database), unless the push's body middleware did already."""
    caller = request.scope.get(_CALLER)  # type: ignore[call-overload]
    if caller is None:  # not yet identified: a trip to a thread (it reads the database)
        caller = await anyio.to_thread.run_sync(caller_of, request, session_of(request))
    return caller


def caller_of(request: Request, db: Session) -> Caller:
    """The caller, identified in the handler's own thread (ApiError 401 if the token is not valid): a
    push and a pull, a phone's every sync, save the trip to a thread the `caller` dependency makes. The
    token's read transaction ends before the handler's own begin."""
    caller = request.scope.get(_CALLER)  # type: ignore[call-overload]
    if caller is None:
        caller = _identify(request, db, None)
        request.scope[_CALLER] = caller  # type: ignore[literal-required]
    return caller


def _identify(request: Request, db: Session, checked: tuple[TokenDevice, TokenUser] | None) -> Caller:
    """The caller behind the request's token (`checked`: already looked up), with the device's last-seen
    time, app version and pending count kept up to date.

    The check only reads (even for a push): it must not take SQLite's write lock.
    """
    if checked is not None:
        device, user = checked
    else:
        with write_intent(False):
            device, user = check_token(db, request.headers.get("authorization", ""))
    now = utc_now()
    version = (request.headers.get("x-app-version") or "")[:64].replace("\x00", "") or device.app_version
    pending = _pending_ops(request.headers.get("x-pending-ops"), device.pending_ops)
    seen = aware_utc(device.last_seen_at)
    if seen is None or now - seen > _SEEN_EVERY or version != device.app_version or pending != device.pending_ops:
        with writer_beside(db) as writer:
            writer.execute(update(Device).where(Device.id == device.id)
                           .values(last_seen_at=now, app_version=version, pending_ops=pending))
        device = replace(device, last_seen_at=now, app_version=version, pending_ops=pending)
    db.info[ACTING_USER] = user.id  # the rules that answer for someone (server/program/record_rules.py)
    # The check's read transaction ends here: the handler begins its own (a write one for a push).
    db.commit()
    note_user(user.id)
    return Caller(user=user, device=device)


def issue_device_token(db: Session, *, user: User, device_name: str, app_version: str | None,
                       via: str, user_agent: str | None = None) -> TokenResponse:
    """A new device of `user` with its bearer token, audited; the caller commits.

    The token is returned once and only its hash is kept, whether the phone signed in with a
    password (`via="api"`) or from a signed-in browser (`via="browser"`).
    """
    token = new_token()
    device_id = new_id()
    name = default_name(user, device_id=device_id, given=device_name, user_agent=user_agent)
    device = Device(id=device_id, user_id=user.id, name=name, token_hash=hash_token(token),
                    last_seen_at=utc_now(),
                    app_version=(app_version or "")[:64].replace("\x00", "") or None)
    db.add(device)
    db.flush()
    audit(db, action="sign_in", user_id=user.id, device_id=device.id,
          detail={"via": via, "device_name": device.name})
    return TokenResponse(token=token, device_id=device.id,
                         user=UserInfo(id=user.id, username=user.username, role=user.role))


def _iso(moment: datetime | None) -> str | None:
    return aware_utc(moment).isoformat() if moment is not None else None


@post("/auth/token", operation_id="createDeviceToken", status_code=201, sync_to_thread=True,
      middleware=[small_json_body_middleware],
      summary="Sign in a device and get its bearer token", tags=["auth"],
      responses={400: INVALID_REQUEST,
                 401: ResponseSpec(data_container=ErrorBody, description="Wrong username or password"),
                 413: ResponseSpec(data_container=ErrorBody, description="A body over 16 KB"),
                 429: ResponseSpec(data_container=TooManyAttemptsBody, description="Too many failed attempts")})
def create_token(data: TokenRequest, db: Session, request: Request) -> TokenResponse:
    if any("\x00" in value for value in (data.username, data.password, data.device_name)):
        raise ApiError(401, "invalid_credentials", "Wrong username or password")
    client = client_address(request)
    result = authenticate(db, request.app.state.settings, data.username, data.password, client=client)
    if result.locked:
        db.commit()
        wait = max(1, int((result.locked_until - utc_now()).total_seconds()))
        raise ApiError(429, "too_many_attempts", "Too many failed sign-ins; try again later",
                       headers={"Retry-After": str(wait)}, retry_after=wait)
    if result.user is None:
        # The failure count is kept, and the attempt audited (bounded by the limit per client).
        audit(db, action="sign_in_failed", detail={"via": "api", "username": data.username.strip()[:64],
                                                   "client": client})
        db.commit()
        raise ApiError(401, "invalid_credentials", "Wrong username or password")
    response = issue_device_token(db, user=result.user, device_name=data.device_name,
                                  app_version=request.headers.get("x-app-version"), via="api",
                                  user_agent=request.headers.get("user-agent"))
    db.commit()
    return response


@delete("/auth/token", operation_id="revokeDeviceToken", status_code=204, sync_to_thread=True,
        summary="Revoke the bearer token of this request (sign the device out)", tags=["auth"],
        responses=_UNAUTHORIZED)
def revoke_token(caller: Caller, db: Session) -> None:
    device = db.get(Device, caller.device.id)
    device.revoked_at = utc_now()
    db.add(device)
    audit(db, action="sign_out", user_id=caller.user.id, device_id=device.id, detail={"via": "api"})
    db.commit()


def _device_info(device: Device, username: str, current_id: str) -> DeviceInfo:
    return DeviceInfo(id=device.id, name=device.name, user_id=device.user_id, username=username,
                      created_at=_iso(device.created_at), last_seen_at=_iso(device.last_seen_at),
                      app_version=device.app_version, revoked_at=_iso(device.revoked_at),
                      current=device.id == current_id, pending_ops=device.pending_ops)


def rename_device(db: Session, device: Device, name: str, *, by: User | TokenUser, device_id: str | None = None) -> bool:
    """Give a device a new name (audited); the caller commits. False when the name is empty."""
    name = clean(name)
    if not name:
        return False
    if name != device.name:
        audit(db, action="rename_device", user_id=by.id, entity="device", record_id=device.id, device_id=device_id,
              detail={"name_before": device.name, "device_name": name})
        device.name = name
        db.add(device)
    return True


@put("/auth/device", operation_id="renameDevice", sync_to_thread=True, tags=["auth"],
     summary="Rename the calling device (the officer names the phone so a supervisor can tell it apart)",
     responses=_UNAUTHORIZED)
def rename_own_device(data: DeviceNameRequest, caller: Caller, db: Session) -> DeviceInfo:
    device = db.get(Device, caller.device.id)
    if not rename_device(db, device, data.name, by=caller.user, device_id=device.id):
        raise ApiError(400, "invalid_request", "The name is empty")
    db.commit()
    return _device_info(device, caller.user.username, device.id)


@get("/devices", operation_id="listDevices", sync_to_thread=True, tags=["auth"],
     summary="The devices the caller may revoke: their own, their district's users' (a supervisor), "
             "every device (an administrator)", responses=_UNAUTHORIZED)
def list_devices(caller: Caller, db: Session) -> list[DeviceInfo]:
    query = select(Device, User.username).join(User, User.id == Device.user_id)
    owners = managed_user_ids(db, caller.user)
    if owners is not None:
        query = query.where(Device.user_id.in_(owners))
    rows = db.exec(query.order_by(Device.created_at)).all()
    return [_device_info(device, username, caller.device.id) for device, username in rows]


@delete("/devices/{device_id:str}", operation_id="revokeDevice", status_code=204, sync_to_thread=True,
        tags=["auth"], summary="Revoke a device, e.g. a lost phone (its owner, their supervisor or an administrator)",
        responses={**_UNAUTHORIZED, 404: ResponseSpec(data_container=ErrorBody, description="No such device")})
def revoke_device(device_id: str, caller: Caller, db: Session) -> None:
    device = db.get(Device, device_id) if len(device_id) <= 36 and "\x00" not in device_id else None
    owners = managed_user_ids(db, caller.user)
    if device is None or (owners is not None and device.user_id not in owners):
        raise ApiError(404, "not_found", "No such device")
    if device.revoked_at is None:
        device.revoked_at = utc_now()
        db.add(device)
        audit(db, action="revoke_device", user_id=caller.user.id, device_id=caller.device.id,
              detail={"revoked_device_id": device.id})
        db.commit()


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[public], route_handlers=[create_token]),
    Router(path="/", guards=[device_token], route_handlers=[revoke_token, rename_own_device, list_devices, revoke_device]),
]
