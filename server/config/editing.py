"""The configuration as an administrator edits it: every poverty line, 5 ก element and occupation (retired
ones too), the overlap of plan periods, and the settings written."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from server.models import AppSetting, FiveKElement, Occupation, PovertyLine


@dataclass(frozen=True)
class ConfigurationLists:
    poverty_lines: list[PovertyLine]
    elements: list[FiveKElement]
    occupations: list[Occupation]


def configuration_lists(db: Session) -> ConfigurationLists:
    """Poverty lines by period, 5 ก elements in their order, occupations by kind then order."""
    return ConfigurationLists(
        list(db.exec(select(PovertyLine).order_by(PovertyLine.from_year)).all()),
        list(db.exec(select(FiveKElement).order_by(FiveKElement.sort_order, FiveKElement.code)).all()),
        list(db.exec(select(Occupation).order_by(Occupation.kind.desc(), Occupation.sort_order,
                                                 Occupation.code)).all()))


def overlapping_poverty_line(db: Session, *, start: int, end: int, editing: int | None = None) -> PovertyLine | None:
    """The earliest poverty line (other than the one edited) whose period overlaps `start`–`end`."""
    query = select(PovertyLine).where(PovertyLine.from_year <= end, PovertyLine.to_year >= start)
    if editing is not None:
        query = query.where(PovertyLine.id != editing)
    return db.exec(query.order_by(PovertyLine.from_year)).first()


def set_setting(db: Session, *, key: str, value: str) -> None:
    row = db.get(AppSetting, key) or AppSetting(key=key, value=value)
    row.value = value
    db.add(row)
