"""Figures of a wide area kept between requests."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel


class ReportSnapshot(SQLModel, table=True):
    """The figures of one report (kind, area, filters, day) as last computed.

    A province's or the country's figures rest on hundreds of thousands of households: they are
    computed once and served from here, with the time they were computed, while a newer one is made.
    """

    __tablename__ = "report_snapshot"

    key: str = Field(primary_key=True, max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    computed_at: datetime
    counter: int  # the figures' version when computing began (`snapshots._version`): still equal, nothing changed
    refreshing_since: datetime | None = None  # a process is computing a newer one
