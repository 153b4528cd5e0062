"""Funding of groups and trainings: the configured sources, the requests' rule, and the sums that the
progress page, the district summary and the export show."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import Session

from server.audit.log import audit
from server.core.i18n import current_locale, gettext_
from server.models import FundingRequest, Occupation, OccupationGroup, Training, Village
from server.models.groups import FUNDING_STATUSES
from server.program.rules import FieldError, check_funding_request, fiscal_year_span
from server.reports.report_area import Filters, geocode_within

# Requests whose money is still to come (asked and not yet answered, or approved and not yet paid).
OPEN_STATUSES = ("submitted", "approved")


def status_labels() -> dict[str, str]:
    return {"drafted": gettext_("Drafted"), "submitted": gettext_("Submitted"), "approved": gettext_("Approved"),
            "received": gettext_("Received"), "refused": gettext_("Refused")}


def funding_sources(db: Session, *, active_only: bool = True) -> dict[str, Occupation]:
    """The configuration's funding sources by code (the department, local government, a bank...)."""
    query = select(Occupation).where(Occupation.kind == "funding_source")
    if active_only:
        query = query.where(Occupation.active == True)  # noqa: E712
    return {o.code: o for o in db.scalars(query.order_by(Occupation.sort_order, Occupation.code))}


def funding_source_names(db: Session) -> dict[str, str]:
    """code → the source's name in the user's language (retired sources too: old requests keep theirs)."""
    thai = current_locale.get() != "en"
    return {code: (o.name_th if thai else o.name_en) for code, o in funding_sources(db, active_only=False).items()}


def check_request(db: Session, values: dict[str, Any], *, editing: FundingRequest | None = None) -> list[FieldError]:
    """The one rule on a funding request, for the group's and the training's pages alike. A request
    already made keeps its source even if that source was retired since."""
    sources = set(funding_sources(db))
    if editing is not None:
        sources.add(editing.source)
    return check_funding_request(values, statuses=FUNDING_STATUSES, sources=sources)


def requests_of(db: Session, *, group_id: str | None = None, training_id: str | None = None) -> list[FundingRequest]:
    query = select(FundingRequest)
    query = query.where(FundingRequest.group_id == group_id) if group_id else query.where(
        FundingRequest.training_id == training_id)
    return list(db.scalars(query.order_by(FundingRequest.asked_on.is_(None), FundingRequest.asked_on,
                                          FundingRequest.id)))


@dataclass
class FundingLine:
    requests: int = 0
    asked: int = 0  # every request's amount asked, refused ones included
    received: int = 0
    waiting: int = 0  # asked in requests submitted or approved, not yet received
    refused: int = 0  # asked in refused requests


@dataclass
class FundingSummary:
    by_source: dict[str, FundingLine] = field(default_factory=dict)
    total: FundingLine = field(default_factory=FundingLine)


def in_fiscal_year(fiscal_year: int) -> ColumnElement[bool]:
    """A request counts in the fiscal year of the day it was asked (or, still a draft with no day, of
    the day it was written down)."""
    first, last = fiscal_year_span(fiscal_year)
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.timezone.utc) - dt.timedelta(hours=7)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc) - dt.timedelta(hours=7)
    return or_(FundingRequest.asked_on.between(first, last),
               and_(FundingRequest.asked_on.is_(None), FundingRequest.created_at >= start,
                    FundingRequest.created_at < end))


def _village_of_request():  # noqa: ANN202
    """A request's village: its group's or its training's."""
    return func.coalesce(OccupationGroup.village_id, Training.village_id)


def scoped_requests(area: ColumnElement[bool], filters: Filters):  # noqa: ANN201
    """The requests of groups and trainings in the user's area and the chosen area and year, with their
    village joined (the query the sums and the export share)."""
    conditions = [area, Village.deleted == False, in_fiscal_year(filters.fiscal_year)]  # noqa: E712
    if filters.area:
        conditions.append(geocode_within(Village.code, filters.area))
    return (select(FundingRequest, Village)
            .outerjoin(OccupationGroup, OccupationGroup.id == FundingRequest.group_id)
            .outerjoin(Training, Training.id == FundingRequest.training_id)
            .join(Village, Village.id == _village_of_request())
            .where(*conditions))


def funding_summary(db: Session, *, area: ColumnElement[bool], filters: Filters) -> FundingSummary:
    """Requests, amounts asked, received, waiting and refused, by source and in all, summed by the database."""
    query = scoped_requests(area, filters).subquery()
    status, amount = query.c.status, query.c.amount_asked

    def asked_when(*statuses: str):  # noqa: ANN202
        return func.coalesce(func.sum(amount).filter(status.in_(statuses)), 0)

    summary = FundingSummary()
    for source, count, asked, received, waiting, refused in db.execute(
            select(query.c.source, func.count(), func.coalesce(func.sum(amount), 0),
                   func.coalesce(func.sum(query.c.amount_received), 0), asked_when(*OPEN_STATUSES),
                   asked_when("refused")).group_by(query.c.source).order_by(query.c.source)):
        line = FundingLine(count, int(asked), int(received), int(waiting), int(refused))
        summary.by_source[source] = line
        for name in ("requests", "asked", "received", "waiting", "refused"):
            setattr(summary.total, name, getattr(summary.total, name) + getattr(line, name))
    return summary


# --- the group's and the training's pages ----------------------------------------------------------

FORM_FIELDS = ("source", "amount_asked", "status", "asked_on", "decided_on", "received_on", "amount_received",
               "proposal_file", "note")


def save(db: Session, *, user_id: int, record: FundingRequest, clean: dict[str, Any]) -> None:
    """Write the request and its audit entry; the caller commits."""
    is_new = record.id is None
    for name, value in clean.items():
        setattr(record, name, value)
    if is_new:
        record.created_by_user_id = user_id
    db.add(record)
    db.flush()
    audit(db, action="create" if is_new else "update", entity="funding_request", record_id=str(record.id),
          user_id=user_id, detail={"group_id": record.group_id, "training_id": record.training_id,
                                   "status": record.status, "amount_asked": record.amount_asked,
                                   "amount_received": record.amount_received})
