"""Who may enter a route, declared where routes are gathered: every router carries one access guard.

`public` routes need no sign-in (the sign-in page, the phone's page shells, which hold no data);
`device_token` routes are the phone's API, authenticated by the bearer token its dependency checks;
the others need a browser sign-in, by any role (`signed_in`) or by the roles named (`admins`,
`reviewers`). The guard loads the signed-in user once, in the thread pool (it reads the database),
and hands it to the `user` dependency; a route whose guard names roles answers 403 to the others.
A test lists every route with its access and fails on a route that declares none.
"""
from __future__ import annotations

import anyio
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from sqlmodel import Session

from server.auth.access import LoginRequired, PermissionDenied
from server.core.db import ACTING_USER, write_intent
from server.models import User
from server.web.observability import note_user
from server.web.browser_session import session_user
from server.web.request_session import SAFE_METHODS, session_of

_USER_KEY = "sammachip.user"


class Access:
    """An access guard: what a route asks of whoever opens it."""

    def __init__(self, kind: str, roles: tuple[str, ...] = ()) -> None:
        self.kind = kind  # public | device | signed_in
        self.roles = frozenset(roles)

    def __repr__(self) -> str:
        return f"Access({self.kind}{', ' + '/'.join(sorted(self.roles)) if self.roles else ''})"

    def describe(self) -> str:
        """How the route table reads: "public", "device token", "signed in", "admin", "admin, supervisor"."""
        if self.kind != "signed_in":
            return {"public": "public", "device": "device token"}[self.kind]
        return ", ".join(sorted(self.roles)) if self.roles else "signed in"

    async def __call__(self, connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        if self.kind != "signed_in":
            return
        user = await anyio.to_thread.run_sync(signed_in_user, connection)
        if self.roles and user.role not in self.roles:
            raise PermissionDenied()


def signed_in_user(connection: ASGIConnection) -> User:
    """The browser's signed-in user, read once per request; LoginRequired when there is none.

    For a request that writes, its read transaction ends before the handler begins its own, so the
    request takes the write lock (SQLite) or the sync counter's lock only where it writes a synced
    record, never here. A request that reads goes on reading in it (one transaction, not two).
    """
    cached = connection.scope.get(_USER_KEY)  # type: ignore[call-overload]
    if cached is not None:
        return cached
    db: Session = session_of(connection)
    with write_intent(False):
        user = session_user(db, connection)
        if connection.scope["method"] not in SAFE_METHODS:
            db.commit()
    if user is None:
        raise LoginRequired()
    connection.scope[_USER_KEY] = user  # type: ignore[literal-required]
    db.info[ACTING_USER] = user.id  # the rules that answer for someone (server/program/record_rules.py)
    note_user(user.id)
    return user


async def current_user(request: Request) -> User:
    """The `user` dependency: the signed-in user the route's guard read (or, for a route without one,
    reads now, in the thread pool). No hop to a thread for what the guard already holds."""
    cached = request.scope.get(_USER_KEY)  # type: ignore[call-overload]
    if cached is not None:
        return cached
    return await anyio.to_thread.run_sync(signed_in_user, request)


public = Access("public")
device_token = Access("device")
signed_in = Access("signed_in")
admins = Access("signed_in", ("admin",))
reviewers = Access("signed_in", ("supervisor", "admin"))


def access_of(handler: BaseRouteHandler) -> list[Access]:
    """The access guards a route resolves to (its own and its routers')."""
    return [guard for guard in handler.resolve_guards() if isinstance(guard, Access)]
