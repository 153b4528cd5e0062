"""What a report covers: the user's area as a SQL condition, and the filters a page was given.

Every figure and export is limited twice: by the user's area (the same rule as
`server.auth.areas.area_village_ids`, written as a condition so that no list of ids is loaded)
and by the filters chosen on the page (an area geocode, a fiscal year, a trade).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import and_, distinct, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from server.core.dates import fiscal_year_be, thai_today
from server.core.i18n import current_locale, gettext_
from server.core.numbers import THAI_DIGITS
from server.models import (
    District,
    Occupation,
    Province,
    Subdistrict,
    Training,
    User,
    UserArea,
    Village,
)

# Geocode lengths: province 2, district 4, subdistrict 6, village 8 digits.
LEVELS = {0: "country", 2: "province", 4: "district", 6: "subdistrict", 8: "village"}
CHILD_LENGTH = {0: 2, 2: 4, 4: 6, 6: 8}
EARLIEST_FISCAL_YEAR, LATEST_FISCAL_YEAR = 2540, 2700


class FilterError(ValueError):
    """A filter that cannot be used: shown to the user beside the filter, never a server error."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Filters:
    """A report's filters: `area` is a geocode prefix ('' for the whole country)."""

    fiscal_year: int
    area: str = ""
    occupation: str | None = None

    @property
    def level(self) -> str:
        return LEVELS[len(self.area)]

    def with_area(self, area: str) -> "Filters":
        return replace(self, area=area)

    def with_occupation(self, occupation: str | None) -> "Filters":
        return replace(self, occupation=occupation)

    def query(self, **override: Any) -> str:
        """The URL query string of these filters (with some replaced), for links that keep them."""
        values = {"year": self.fiscal_year, "area": self.area, "occupation": self.occupation or ""}
        values.update(override)
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def geocode_within(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column`, a geocode, starts with `prefix`.

    A prefix of digits is written as the range [prefix, next prefix), which the column's index
    serves and the planner estimates well: neither SQLite nor PostgreSQL (outside the C collation)
    uses an index for `LIKE 'p%'`, and a LIKE beside the range makes PostgreSQL count the same
    condition twice and expect one row. For geocodes (digits) the two say the same.
    """
    if not re.fullmatch(r"[0-9]+", prefix):
        return column.startswith(prefix)
    if prefix.strip("9"):
        return and_(column >= prefix, column < str(int(prefix) + 1).zfill(len(prefix)))
    return column >= prefix


def area_condition(db: Session, user: User) -> ColumnElement[bool]:
    """A condition on `Village` that holds for exactly the villages of `user`'s area."""
    if user.role == "admin":
        return true()
    if user.role == "supervisor":
        if not user.district_code:
            return false()
        return Village.subdistrict_code.in_(
            select(Subdistrict.code).where(Subdistrict.district_code == user.district_code))
    areas = list(db.exec(select(UserArea.subdistrict_code, UserArea.village_id)
                         .where(UserArea.user_id == user.id)).all())
    subdistricts = sorted({s for s, _v in areas if s})
    villages = sorted({v for _s, v in areas if v})
    if not subdistricts and not villages:
        return false()
    return or_(Village.subdistrict_code.in_(subdistricts), Village.id.in_(villages))


def home_area(db: Session, user: User) -> str:
    """The geocode a user's reports open on: the country for admins, the district for supervisors,
    and for officers the smallest unit holding every village of their area."""
    if user.role == "admin":
        return ""
    if user.role == "supervisor":
        return user.district_code or ""
    codes = [c for (c,) in db.exec(select(Village.code).where(area_condition(db, user),
                                                              Village.deleted == False)  # noqa: E712
                                   .order_by(Village.code)).all()]
    if not codes:
        return user.district_code or ""
    common = codes[0]
    for code in codes[1:]:
        while not code.startswith(common):
            common = common[:-1]
    length = max(n for n in (0, 2, 4, 6, 8) if n <= len(common))
    return common[:length]


def _clean(raw: str | None) -> str:
    return (raw or "").strip().translate(THAI_DIGITS)


def area_name(db: Session, code: str, *, english: bool) -> str | None:
    """The name of a province, district, subdistrict or village by its geocode; None if unknown."""
    if code == "":
        return gettext_("Whole country")
    table = {2: Province, 4: District, 6: Subdistrict}.get(len(code))
    if table is not None:
        row = db.get(table, code)
        return None if row is None else (row.name_en if english else row.name_th)
    village = db.exec(select(Village.name).where(Village.code == code, Village.deleted == False)).first()  # noqa: E712
    return None if village is None else village[0]


def parse_filters(db: Session, user: User, params: dict[str, str | None], *,
                  today: dt.date | None = None) -> Filters:
    """The filters of a page's query string, checked; FilterError names the filter that is wrong.

    `year` is a fiscal year in the Buddhist Era (default: the current one), `area` a geocode of
    2, 4, 6 or 8 digits inside the user's area (default: their home area), `occupation` a trade
    code from the configured list.
    """
    year_raw = _clean(params.get("year"))
    if year_raw:
        if not re.fullmatch(r"[0-9]{4}", year_raw):
            raise FilterError("year", gettext_("The fiscal year must be a Buddhist-Era year such as 2570."))
        fiscal_year = int(year_raw)
        if not EARLIEST_FISCAL_YEAR <= fiscal_year <= LATEST_FISCAL_YEAR:
            raise FilterError("year", gettext_("The fiscal year must be a Buddhist-Era year such as 2570."))
    else:
        fiscal_year = fiscal_year_be(today or thai_today())

    area_raw = params.get("area")
    area = _clean(area_raw) if area_raw is not None else home_area(db, user)
    if area and (not re.fullmatch(r"[0-9]+", area) or len(area) not in (2, 4, 6, 8)):
        raise FilterError("area", gettext_("An area is a geocode of 2, 4, 6 or 8 digits (province, district, "
                                           "subdistrict or village)."))
    if area_name(db, area, english=False) is None:
        raise FilterError("area", gettext_("There is no province, district, subdistrict or village with this code."))
    if user.role != "admin" and area:
        visible = db.exec(select(Village.id).where(area_condition(db, user), Village.code.startswith(area),
                                                   Village.deleted == False).limit(1)).first()  # noqa: E712
        if visible is None:
            raise FilterError("area", gettext_("This area is outside yours: choose an area you work in."))

    occupation = _clean(params.get("occupation")) or None
    if occupation is not None:
        known = db.exec(select(Occupation.code).where(Occupation.code == occupation,
                                                      Occupation.kind == "trade")).first()
        if known is None:
            raise FilterError("occupation", gettext_("Choose a trade from the occupation list."))
    return Filters(fiscal_year=fiscal_year, area=area, occupation=occupation)


def unit_names(db: Session, codes: list[str]) -> dict[str, str]:
    """Names of geocodes of one length (provinces, districts, subdistricts or villages)."""
    english = current_locale.get() == "en"
    if not codes:
        return {}
    length = len(codes[0])
    if length == 8:
        return dict(db.exec(select(Village.code, Village.name).where(Village.code.in_(codes))).all())
    table = {2: Province, 4: District, 6: Subdistrict}[length]
    return {row.code: (row.name_en if english else row.name_th)
            for row in db.exec(select(table).where(table.code.in_(codes))).scalars()}


def breadcrumbs(db: Session, area: str, home: str) -> list[tuple[str, str]]:
    """(code, name) from the widest area the user may open down to `area`."""
    english = current_locale.get() == "en"
    start = len(home) if area.startswith(home) else 0
    return [(area[:n], area_name(db, area[:n], english=english) or area[:n])
            for n in (0, 2, 4, 6, 8) if start <= n <= len(area)]


def fiscal_years(db: Session, current: int) -> list[int]:
    years = {y for (y,) in db.exec(select(distinct(Training.fiscal_year))).all()} | {current}
    return sorted(years, reverse=True)
