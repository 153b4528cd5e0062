"""The audit log: who saw or changed what, when, from which device."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from server.models.base import utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, index=True)
    device_id: str | None = Field(default=None, max_length=36)
    action: str  # create | update | delete | view | export | sign_in | ...
    entity: str | None = None
    record_id: str | None = Field(default=None, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
