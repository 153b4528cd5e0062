"""The audit log as a supervisor may read it: entries about records of their area, and what the people
working in it did (sign-ins, lists viewed), filtered by user, device, record, action and date."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from server.auth.areas import area_village_ids
from server.core.dates import THAI_TIME, DateInputError, parse_date
from server.core.paging import Page, page_of
from server.core.i18n import gettext_
from server.models import AuditEntry, ChangeFeed, Device, Subdistrict, User, UserArea, Village

PAGE_SIZE = 100
EXPORT_LIMIT = 50_000


@dataclass
class AuditFilters:
    user: str = ""
    device: str = ""
    record: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    typed_from: str = ""
    typed_to: str = ""

    def query(self) -> dict[str, str]:
        return {k: v for k, v in (("user", self.user), ("device", self.device), ("record", self.record),
                                  ("action", self.action), ("from", self.typed_from), ("to", self.typed_to)) if v}


def read_filters(params: Any, actions: list[str]) -> tuple[AuditFilters, list[str]]:
    """Filters from the query string; an unknown action or an unreadable date is dropped with a message."""
    found = AuditFilters(**{name: (params.get(name) or "").strip()[:64] for name in ("user", "device", "record",
                                                                                    "action")})
    problems = []
    if found.action and found.action not in actions:
        problems.append(gettext_("Unknown action: the filter was ignored."))
        found.action = ""
    for name in ("from", "to"):
        typed = (params.get(name) or "").strip()[:32]
        try:
            day = parse_date(typed)
        except DateInputError:
            problems.append(gettext_("Not a valid date: type day/month/year in the Buddhist Era, e.g. 24/11/2569"))
            continue
        setattr(found, f"date_{name}", day)
        setattr(found, f"typed_{name}", typed)
    return found, problems


def _area_condition(db: Session, user: User) -> list[Any]:
    """Entries about a record of the area, or made by someone who works in it (None: everything)."""
    area = area_village_ids(db, user)
    if area is None:
        return []
    area = area or {""}
    records = select(ChangeFeed.record_id).where(ChangeFeed.village_id.in_(area))
    subdistricts = select(Village.subdistrict_code).where(Village.id.in_(area))
    workers = select(UserArea.user_id).where(or_(UserArea.village_id.in_(area),
                                                 UserArea.subdistrict_code.in_(subdistricts)))
    district = select(Subdistrict.district_code).where(Subdistrict.code.in_(subdistricts))
    supervisors = select(User.id).where(User.role == "supervisor", User.district_code.in_(district))
    return [or_(AuditEntry.record_id.in_(records),
                and_(AuditEntry.record_id.is_(None), or_(AuditEntry.user_id.in_(workers),
                                                          AuditEntry.user_id.in_(supervisors))))]


def entries(db: Session, user: User, filters: AuditFilters) -> Any:
    """The query of the entries the user may read that match the filters, newest first."""
    query = (select(AuditEntry, User, Device).join(User, User.id == AuditEntry.user_id, isouter=True)
             .join(Device, Device.id == AuditEntry.device_id, isouter=True).where(*_area_condition(db, user)))
    if filters.user:
        query = query.where(User.username == filters.user.lower())
    if filters.device:
        query = query.where(or_(AuditEntry.device_id == filters.device, Device.name == filters.device))
    if filters.record:
        query = query.where(AuditEntry.record_id == filters.record)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.date_from:
        query = query.where(AuditEntry.at >= _start_of(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEntry.at < _start_of(filters.date_to + dt.timedelta(days=1)))
    return query.order_by(AuditEntry.id.desc())


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of a Thai day, in UTC (as the log stores its times)."""
    return dt.datetime.combine(day, dt.time(), THAI_TIME).astimezone(dt.timezone.utc)


def logged_actions(db: Session) -> list[str]:
    """Every action the log holds, once each, in order (the choices of the action filter)."""
    return list(db.exec(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all())


def admin_entries(db: Session, *, filters: dict[str, str], page: int, page_size: int) -> tuple[int, list[Any]]:
    """The whole log as an administrator reads it, filtered by user name, action, entity and record: how
    many entries match, and one page of them (entry, user), the latest first."""
    query = select(AuditEntry, User).join(User, User.id == AuditEntry.user_id, isouter=True)
    if filters["username"]:
        query = query.where(User.username == filters["username"].lower())
    if filters["action"]:
        query = query.where(AuditEntry.action == filters["action"])
    if filters["entity"]:
        query = query.where(AuditEntry.entity == filters["entity"])
    if filters["record"]:
        query = query.where(AuditEntry.record_id == filters["record"])
    total = db.exec(select(func.count()).select_from(query.subquery())).one()
    rows = list(db.exec(query.order_by(AuditEntry.id.desc()).offset((page - 1) * page_size).limit(page_size)).all())
    return total, rows


def entry_page(db: Session, *, user: User, filters: AuditFilters, page: str | None) -> tuple[Page, list[Any]]:
    """One page of the entries the user may read that match the filters, (entry, user, device), newest first."""
    query = entries(db, user, filters)
    found = page_of(db, query, page, PAGE_SIZE)
    return found, list(db.exec(query.offset(found.offset).limit(found.size)))


def entries_to_export(db: Session, *, user: User, filters: AuditFilters) -> list[Any]:
    """The entries the user may read that match the filters, (entry, user, device), newest first: at most
    EXPORT_LIMIT of them."""
    return list(db.exec(entries(db, user, filters).limit(EXPORT_LIMIT)))
