"""Checking a username and password, with a limit on failed attempts that slows the guesser only.

One function for the web sign-in page and the device-token API, so the limit cannot be side-stepped
by switching doors. Failures are counted per username from one client address, and per client
address over every name: the client that guesses too often is refused for a while (429 with
Retry-After), while the same user signing in from anywhere else is not held up. The table stays
small: rows older than the lock period are pruned, and a username keeps at most
`ROWS_PER_USERNAME` client rows (a client is refused after `CLIENT_FACTOR` x the limit of names).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, or_
from sqlmodel import Session, select

from server.auth.passwords import verify_password
from server.core.db import write_intent
from server.models import LoginThrottle, User
from server.core.settings import Settings
from server.core.dates import utc_now

ANY_NAME = ""  # the username of a client's row counting its failures over every name
CLIENT_FACTOR = 3  # a client is refused after this many times the per-name limit, whatever the names
ROWS_PER_USERNAME = 50  # client rows kept per username; the oldest go first
CLIENT_MAX = 64


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    locked_until: datetime | None = None

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def aware_utc(moment: datetime | None) -> datetime | None:
    # SQLite hands datetimes back without a zone; everything we store is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def client_address(request) -> str:  # noqa: ANN001 (a Litestar request)
    """The address a sign-in comes from, as the server sees it (the proxy's, behind one)."""
    host = request.client.host if request.client is not None else ""
    return (host or "unknown")[:CLIENT_MAX]


def authenticate(session: Session, settings: Settings, username: str, password: str, *,
                 client: str) -> SignInResult:
    """Return the user for a good password; count failures and refuse the guessing client.

    A wrong password is always answered as wrong (never as locked), so a client learns of the lock
    only when it tries again during it. Failures older than the lock period are forgotten. The
    caller commits (the failure count must be kept even when sign-in fails).
    """
    username = (username or "").strip().lower()[:64]
    client = (client or "unknown")[:CLIENT_MAX]
    now = utc_now()
    window = timedelta(minutes=settings.lockout_minutes)
    # The password check is slow on purpose (argon2): it runs after the reads' transaction has
    # ended, so no lock is held while it works; the failure counts are re-read when written.
    with write_intent(False):
        rows = session.exec(select(LoginThrottle).where(
            LoginThrottle.client == client, LoginThrottle.username.in_([username, ANY_NAME]))).all()
        user = session.exec(select(User).where(User.username == username)).first() if username else None
        session.commit()
    locks = [aware_utc(t.locked_until) for t in rows if aware_utc(t.locked_until) and aware_utc(t.locked_until) > now]
    if locks:
        return SignInResult(user=None, locked_until=max(locks))

    ok = verify_password(user.password_hash if user else None, password or "")
    if ok and user is not None and user.active:
        session.execute(delete(LoginThrottle).where(LoginThrottle.username == username,
                                                    LoginThrottle.client == client))
        return SignInResult(user=user)
    if username:
        _count_failure(session, settings, username, client, now)
    return SignInResult(user=None)


def _count_failure(session: Session, settings: Settings, username: str, client: str, now: datetime) -> None:
    window = timedelta(minutes=settings.lockout_minutes)
    # Forget what the lock period has passed, so the table holds one period's failures at most.
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_failure_at < now - window,
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now)))
    for name, limit in ((username, settings.max_failed_logins),
                        (ANY_NAME, settings.max_failed_logins * CLIENT_FACTOR)):
        throttle = session.get(LoginThrottle, (name, client), populate_existing=True)
        if throttle is None:
            throttle = LoginThrottle(username=name, client=client, failures=0)
            if name != ANY_NAME:
                _make_room(session, name)
        last = aware_utc(throttle.last_failure_at)
        if last is None or now - last > window:
            throttle.failures = 0
        throttle.failures = (throttle.failures or 0) + 1
        throttle.last_failure_at = now
        throttle.locked_until = None
        if throttle.failures >= limit:
            throttle.locked_until = now + window
            throttle.failures = 0
        session.add(throttle)
    session.flush()


def _make_room(session: Session, username: str) -> None:
    """Keep at most ROWS_PER_USERNAME - 1 client rows for `username` before one more is added."""
    count = session.exec(select(func.count()).select_from(LoginThrottle)
                         .where(LoginThrottle.username == username)).one()
    if count >= ROWS_PER_USERNAME:
        oldest = session.exec(select(LoginThrottle.client).where(LoginThrottle.username == username)
                              .order_by(LoginThrottle.last_failure_at)
                              .limit(count - ROWS_PER_USERNAME + 1)).all()
        session.execute(delete(LoginThrottle).where(LoginThrottle.username == username,
                                                    LoginThrottle.client.in_(oldest)))
