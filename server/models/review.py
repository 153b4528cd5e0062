"""Supervisors' "needs fix" notes on records that phones sent (SYNC.md, entity `review_task`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from server.models.base import Synced

REVIEW_ENTITIES = ("household", "survey", "attendance", "sage", "enrollment")
TASK_STATUSES = ("open", "fixed", "closed")


class ReviewTask(Synced, table=True):
    """A supervisor's note that a record needs fixing: opened in the office, pulled by the phones of
    the record's village, marked `fixed` by the officer with a note, then closed (or reopened) by the
    supervisor. Closed by the server when its record is deleted."""

    __tablename__ = "review_task"
    __table_args__ = (Index("ix_review_task_area", "village_id", "status"),)

    record_entity: str = Field(max_length=32)
    record_id: str = Field(max_length=36, index=True)
    # The village of the record it points at, kept by the server: it decides which phones pull it.
    village_id: str | None = Field(default=None, max_length=36)
    note: str
    status: str = Field(default="open", max_length=16)
    fixed_note: str | None = None
    created_by_user_id: int | None = None
    closed_by_user_id: int | None = None
    closed_at: datetime | None = None
