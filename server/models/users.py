"""People who sign in, the areas they work in, their devices and web sessions."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from server.models.base import new_id, utcnow

ROLES = ("officer", "supervisor", "admin")


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    display_name: str
    password_hash: str
    role: str = Field(max_length=16)  # officer | supervisor | admin
    district_code: str | None = Field(default=None, foreign_key="district.code")
    locale: str = Field(default="th", max_length=5)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)


class UserArea(SQLModel, table=True):
    """An officer's assignment: a whole subdistrict, or one village."""

    __tablename__ = "user_area"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    subdistrict_code: str | None = Field(default=None, foreign_key="subdistrict.code")
    village_id: str | None = Field(default=None, foreign_key="village.id")


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per username (known or not) from one client address, and per client address
    over every name (`username` empty): the client that guesses is slowed, never the user elsewhere."""

    __tablename__ = "login_throttle"

    username: str = Field(primary_key=True, max_length=64)
    client: str = Field(primary_key=True, max_length=64)
    failures: int = Field(default=0)
    locked_until: datetime | None = None
    last_failure_at: datetime | None = Field(default=None, index=True)


class WebSession(SQLModel, table=True):
    """A browser session; only the hash of the cookie value is stored, so the table leaks nothing."""

    __tablename__ = "web_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class Device(SQLModel, table=True):
    """A phone (or any API client) holding a bearer token; the token itself is stored hashed."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime | None = None
    app_version: str | None = None
    revoked_at: datetime | None = None
    pending_ops: int | None = None  # changes waiting in the phone's outbox at its last sync, as it said
