"""The signed-in user of a browser request: the session cookie, its row, and the user it names."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from litestar import Request, Response
from sqlalchemy import bindparam
from sqlmodel import Session, delete, select

from server.auth.passwords import hash_token, new_token
from server.core.dates import utc_now
from server.core.settings import Settings
from server.models import User, WebSession

SESSION_COOKIE = "sammachip_session"


def start_session(db: Session, user: User, settings: Settings) -> tuple[str, datetime]:
    token = new_token()
    expires = utc_now() + timedelta(hours=settings.session_hours)
    db.add(WebSession(token_hash=hash_token(token), user_id=user.id, expires_at=expires))
    return token, expires


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=settings.secure_cookies, max_age=settings.session_hours * 3600)


def end_session(db: Session, request: Request) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        db.exec(delete(WebSession).where(WebSession.token_hash == hash_token(token)))


# The session and its user in one statement, built once: every page asks.
_SESSION_AND_USER = (select(User, WebSession.expires_at).join(WebSession, WebSession.user_id == User.id)
                     .where(WebSession.token_hash == bindparam("token_hash")))


def session_user(db: Session, request: Request) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found = db.exec(_SESSION_AND_USER, params={"token_hash": hash_token(token)}).first()
    if found is None:
        return None
    user, expires = found
    expires = expires if expires.tzinfo else expires.replace(tzinfo=timezone.utc)
    if expires <= utc_now():
        return None
    return user if user.active else None
