"""A checked import file waiting for the user's confirmation, kept on the server rather than in the page."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.models.base import new_id, utcnow


class ImportPreview(SQLModel, table=True):
    """The rows of an uploaded household file between preview and confirm; deleted once used or replaced."""

    __tablename__ = "import_preview"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    rows: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON, nullable=False)
    # A district's own list waiting for its columns to be mapped: its headers in file order (the rows
    # are then keyed by header). None once the rows are in the import's own columns.
    headers: list[str] | None = Field(default=None, sa_type=JSON, nullable=True)


class ImportMapping(SQLModel, table=True):
    """How a district's own household list maps to the import's fields, saved by name and offered
    again when a file with the same headers comes."""

    __tablename__ = "import_mapping"
    __table_args__ = (UniqueConstraint("district_code", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    district_code: str = Field(foreign_key="district.code", index=True, max_length=4)
    name: str = Field(max_length=120)
    headers_key: str = Field(max_length=64, index=True)  # a digest of the file's headers (order-free)
    columns: dict[str, str] = Field(default_factory=dict, sa_type=JSON, nullable=False)  # header -> target
    created_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)
