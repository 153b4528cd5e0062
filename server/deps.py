"""Request-scoped dependencies shared by pages and the API."""
from __future__ import annotations

from litestar import Request
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlmodel import Session

_SCOPE_KEY = "sammachip.db"


def db_session_middleware(app: ASGIApp) -> ASGIApp:
    """Open one database session per HTTP request and always end it when the request ends.

    A generator dependency would do the same, but Litestar skips its clean-up when a dependency
    resolved after it raises (a bad token, a missing sign-in); the open transaction would then keep
    its locks. Ending the session here, around the whole request, cannot be skipped.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        session = Session(scope["litestar_app"].state.engine, expire_on_commit=False)
        scope[_SCOPE_KEY] = session  # type: ignore[literal-required]
        try:
            await app(scope, receive, send)
        finally:
            session.rollback()
            session.close()

    return middleware


def provide_db(request: Request) -> Session:
    """The request's session; handlers commit what they mean to keep, the rest is rolled back."""
    return request.scope[_SCOPE_KEY]  # type: ignore[literal-required]
