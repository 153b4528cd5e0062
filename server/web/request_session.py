"""Request-scoped dependencies shared by pages and the API."""
from __future__ import annotations

import anyio
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlmodel import Session

from server.core.db import set_write_intent
from server.core.request_memo import forget_answers, remember_answers
from server.core.db import is_busy_error, outage_log

_SCOPE_KEY = "sammachip.db"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db_session_middleware(app: ASGIApp) -> ASGIApp:
    """Open one database session per HTTP request and always end it when the request ends.

    A generator dependency would do the same, but Litestar skips its clean-up when a dependency
    resolved after it raises (a bad token, a missing sign-in); the open transaction would then keep
    its locks. Ending the session here, around the whole request, cannot be skipped. Ending it talks
    to the database, so it runs in the thread pool, shielded from the request's cancellation (a
    client that hangs up must not leave a transaction open).

    The session ends as soon as the response's last byte is sent: work a response runs after it (a
    background task) uses sessions of its own and must not keep the request's transaction open.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        # Worker threads inherit this context: a GET's transactions only read (see server/core/db.py).
        set_write_intent(scope["method"] not in SAFE_METHODS)
        session = Session(scope["litestar_app"].state.engine, expire_on_commit=False)
        remember_answers(session)  # the user's area, the trades: read at most once per request
        scope[_SCOPE_KEY] = session  # type: ignore[literal-required]
        ended = False

        async def end() -> None:
            nonlocal ended
            if not ended:
                ended = True
                if not session.in_transaction():
                    _end(session)  # nothing to roll back: no I/O, no need for a thread
                    return
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(_end, session)

        async def send_then_end(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                await end()

        try:
            await app(scope, receive, send_then_end)
        finally:
            await end()

    return middleware


def _end(session: Session) -> None:
    forget_answers(session)
    try:
        session.rollback()
        session.close()
    except Exception as exc:
        if not is_busy_error(exc):
            raise
        outage_log.busy(exc)  # the database went away under the request: already answered, nothing kept
        session.invalidate()


def session_of(connection: ASGIConnection) -> Session:
    """The request's session (made by the middleware; nothing here touches the database)."""
    return session_in(connection.scope)


def session_in(scope: Scope) -> Session:
    """The request's session, for a middleware inside `db_session_middleware`."""
    return scope[_SCOPE_KEY]  # type: ignore[literal-required]


def provide_db(request: Request) -> Session:
    """The `db` dependency: the request's session."""
    return session_of(request)
