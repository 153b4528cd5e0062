"""Request-scoped dependencies shared by pages and the API."""
from __future__ import annotations

from collections.abc import Iterator

from litestar.datastructures import State
from sqlmodel import Session


def provide_db(state: State) -> Iterator[Session]:
    """A session per request; handlers commit what they mean to keep, the rest is rolled back."""
    with Session(state.engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()
