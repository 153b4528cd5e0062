"""Shared column families: ids, timestamps and the version bookkeeping that sync needs."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel
from server.core.dates import utc_now


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return utc_now()


class Synced(SQLModel):
    """Columns every record that phones create, edit or pull carries (see SYNC.md).

    `seq` is the record's latest change number; `field_versions` remembers, per field, the seq at
    which it last changed and the device/user that changed it, so that a push can merge field by
    field against the device's `base_seq`.
    """

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    seq: int = Field(default=0, index=True)
    deleted: bool = Field(default=False)
    field_versions: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_user_id: int | None = Field(default=None)
    updated_by_device_id: str | None = Field(default=None, max_length=36)
