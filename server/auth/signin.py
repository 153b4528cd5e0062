"""Checking a username and password, with a limit on failed attempts per username.

One function for the web sign-in page and the device-token API, so the limit cannot be side-stepped
by switching doors.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlmodel import Session, select

from server.auth.passwords import verify_password
from server.core.db import write_intent
from server.models import LoginThrottle, User
from server.core.settings import Settings
from server.core.dates import utc_now


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


def authenticate(session: Session, settings: Settings, username: str, password: str) -> SignInResult:
    """Return the user for a good password; count failures and lock the name after too many.

    A wrong password is always answered as wrong (never as locked), so a client learns of the lock
    only when it tries again during it. Failures older than the lock period are forgotten. The
    caller commits (the failure count must be kept even when sign-in fails).
    """
    username = (username or "").strip().lower()[:64]
    now = utc_now()
    window = timedelta(minutes=settings.lockout_minutes)
    # The password check is slow on purpose (argon2): it runs after the reads' transaction has
    # ended, so no lock is held while it works; the failure count is re-read when it is written.
    with write_intent(False):
        throttle = session.get(LoginThrottle, username) if username else None
        user = session.exec(select(User).where(User.username == username)).first() if username else None
        session.commit()
    if throttle and aware_utc(throttle.locked_until) and aware_utc(throttle.locked_until) > now:
        return SignInResult(user=None, locked_until=aware_utc(throttle.locked_until))

    ok = verify_password(user.password_hash if user else None, password or "")
    if throttle is not None:
        throttle = session.get(LoginThrottle, username, populate_existing=True)
    if ok and user is not None and user.active:
        if throttle:
            session.delete(throttle)
        return SignInResult(user=user)

    if username:
        throttle = throttle or LoginThrottle(username=username, failures=0)
        last = aware_utc(throttle.last_failure_at)
        if last is None or now - last > window:
            throttle.failures = 0
        throttle.failures = (throttle.failures or 0) + 1
        throttle.last_failure_at = now
        throttle.locked_until = None
        if throttle.failures >= settings.max_failed_logins:
            throttle.locked_until = now + window
            throttle.failures = 0
        session.add(throttle)
    return SignInResult(user=None)
