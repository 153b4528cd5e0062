"""Configuration an administrator edits: poverty lines, occupations, the 5 ก checklist, settings."""
from __future__ import annotations

from sqlmodel import Field, SQLModel


class PovertyLine(SQLModel, table=True):
    """The จปฐ. income criterion (baht per person per year) for a plan period, in BE years."""

    __tablename__ = "poverty_line"

    id: int | None = Field(default=None, primary_key=True)
    from_year: int
    to_year: int
    amount: int


class Occupation(SQLModel, table=True):
    """A configured list's entry: an occupation type (จปฐ. list, the trades), a department group category,
    or a funding source."""

    code: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=16)  # trade | group_category | funding_source
    name_th: str
    name_en: str
    sort_order: int = 0
    active: bool = True


class FiveKElement(SQLModel, table=True):
    __tablename__ = "five_k_element"

    code: str = Field(primary_key=True, max_length=32)
    name_th: str
    name_en: str
    criterion_th: str
    criterion_en: str
    sort_order: int = 0


class AppSetting(SQLModel, table=True):
    """Small named settings: households per village target, follow-up schedule (JSON text)."""

    __tablename__ = "app_setting"

    key: str = Field(primary_key=True, max_length=64)
    value: str
