"""Provinces, districts, subdistricts (keyed by their DOPA geocodes) and villages."""
from __future__ import annotations

from sqlmodel import Field, SQLModel

from server.models.base import Synced


class Province(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=2)
    name_th: str
    name_en: str


class District(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=4)
    province_code: str = Field(foreign_key="province.code", index=True)
    name_th: str
    name_en: str


class Subdistrict(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=6)
    district_code: str = Field(foreign_key="district.code", index=True)
    name_th: str
    name_en: str


class Village(Synced, table=True):
    """A village (หมู่บ้าน); `code` is the 8-digit geocode: province, district, subdistrict, number."""

    code: str = Field(unique=True, max_length=8)
    subdistrict_code: str = Field(foreign_key="subdistrict.code", index=True)
    number: int
    name: str
    participating: bool = Field(default=False)
