"""A checked import file waiting for the user's confirmation, kept on the server rather than in the page."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from server.models.base import new_id, utcnow


class ImportPreview(SQLModel, table=True):
    """The rows of an uploaded household file between preview and confirm; deleted once used or replaced."""

    __tablename__ = "import_preview"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    rows: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON, nullable=False)
