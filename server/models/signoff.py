"""A district supervisor's sign-off of a training round: a village's training of a fiscal year,
checked and closed, its records locked against changes until a supervisor reopens it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from server.models.base import new_id

SIGNOFF_STATUSES = ("signed_off", "reopened")


class RoundSignoff(SQLModel, table=True):
    """The sign-off of one training's round (one row a training, signed off or reopened).

    `locked_kinds` are the survey kinds that belonged to the round when it was signed off (baseline,
    after training, and any follow-up already due that day); follow-ups due later stay open.
    `open_items` keeps what was still open at sign-off (counts by kind), which `reason` explains.
    """

    __tablename__ = "round_signoff"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    training_id: str = Field(foreign_key="training.id", unique=True, max_length=36)
    status: str = Field(default="signed_off", max_length=16)
    locked_kinds: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    open_items: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    reason: str | None = None
    signed_off_by_user_id: int | None = None
    signed_off_at: datetime | None = None
    reopened_by_user_id: int | None = None
    reopened_at: datetime | None = None
    reopen_reason: str | None = None
