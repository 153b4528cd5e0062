"""Sync bookkeeping: the global change counter, the change feed, seen ops and conflicts."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from server.models.base import new_id, utcnow


class SyncCounter(SQLModel, table=True):
    """One row whose value is the last `seq` handed out.

    Incrementing it takes a row lock held until commit, so changes commit in `seq` order on every
    database: a pull that sees seq N has already seen every committed seq below N.
    """

    __tablename__ = "sync_counter"

    id: int = Field(default=1, primary_key=True)
    value: int = 0


class ChangeFeed(SQLModel, table=True):
    """One row per synced record, holding its latest seq and the village that scopes it."""

    __tablename__ = "change_feed"
    __table_args__ = (Index("ix_change_feed_village_seq", "village_id", "seq"),)

    entity: str = Field(primary_key=True, max_length=32)
    record_id: str = Field(primary_key=True, max_length=36)
    seq: int = Field(unique=True)
    village_id: str | None = Field(default=None, max_length=36)


class FeedDeparture(SQLModel, table=True):
    """A record whose feed row left a village at `seq` (a household moved, with its dependents).

    Phones of that village are told once, at this seq, that the record is out of their area, unless
    its village now is in their area too (sync.changes, sync.pull).
    """

    __tablename__ = "feed_departure"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(index=True)
    entity: str = Field(max_length=32)
    record_id: str = Field(max_length=36)
    village_id: str = Field(max_length=36)  # the village it left


class PullArea(SQLModel, table=True):
    """The villages behind an area fingerprint that a pull cursor carries.

    Written once per distinct area, so that when a user's area changes, the next pull can tell
    which villages the phone had and no longer covers.
    """

    __tablename__ = "pull_area"

    fingerprint: str = Field(primary_key=True, max_length=16)
    village_ids: str  # comma-separated ids, sorted


class DevicePullArea(SQLModel, table=True):
    """An area (fingerprint; "*" for everything) a device has been answered pulls for, and the seq
    when it first was: a cursor's claim that the phone holds an area is believed only if it is here."""

    __tablename__ = "device_pull_area"

    device_id: str = Field(primary_key=True, max_length=36)
    fingerprint: str = Field(primary_key=True, max_length=16)
    since_seq: int = 0


class SyncOp(SQLModel, table=True):
    """An op already answered, so a replay gets the first answer back."""

    __tablename__ = "sync_op"

    op_id: str = Field(primary_key=True, max_length=64)
    device_id: str | None = Field(default=None, max_length=36, index=True)
    result: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    # A hash of what the op asked (entity, record, action, base, fields): the op_id sent again with
    # other content is refused rather than answered as a duplicate.
    content_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class Conflict(SQLModel, table=True):
    """A value that lost a merge (or a delete that lost to an edit), kept for a supervisor."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    entity: str = Field(max_length=32)
    record_id: str = Field(max_length=36, index=True)
    village_id: str | None = Field(default=None, max_length=36, index=True)
    field: str  # a field name, or "_deleted" for delete-versus-edit
    kept: Any = Field(default=None, sa_type=JSON)
    other: Any = Field(default=None, sa_type=JSON)
    kept_seq: int | None = None
    kept_device_id: str | None = None
    kept_user_id: int | None = None
    other_device_id: str | None = None
    other_user_id: int | None = None
    other_op_id: str | None = None
    other_captured_at: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default="open", max_length=16, index=True)  # open | resolved
    resolution: str | None = None  # kept | other | custom
    resolved_value: Any = Field(default=None, sa_type=JSON)
    resolved_by_user_id: int | None = None
    resolved_at: datetime | None = None
