"""Exports as CSV or XLSX: rows read from the database in batches and written out as they come.

A province's or the country's export never sits in memory: rows are fetched `BATCH` at a time
(a server-side cursor on PostgreSQL), CSV is sent in chunks as it is written, and XLSX goes through
openpyxl's write-only mode into a temporary file that is then sent in chunks. Headers are Thai
(the department's own columns), dates are Buddhist-Era (24/11/2569) and citizen IDs are masked
unless the user is an administrator. No cell carries a live formula (server/reports/export_cells.py).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from sqlalchemy import and_, case, false, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from server.core.dates import to_input
from server.core.i18n import translations
from server.program.funding import in_fiscal_year
from server.reports.export_cells import csv_row, xlsx_row
from server.models import (
    Attendance,
    District,
    Enrollment,
    FundingRequest,
    Household,
    Occupation,
    OccupationGroup,
    Subdistrict,
    Survey,
    Training,
    TrainingSession,
    Village,
)
from server.program.field_checks import mask_citizen_id
from server.program.rules import TRAINING_DAYS
from server.reports import figures
from server.reports.report_area import Filters, geocode_within

BATCH = 1000
CHUNK = 64 * 1024
FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def thai(message: str) -> str:
    """Export headers are Thai whatever the user's language: they match the department's forms."""
    return translations("th").gettext(message)


@dataclass(frozen=True)
class Request:
    """What one export covers and who asked."""

    area: ColumnElement[bool]
    filters: Filters
    full_citizen_ids: bool
    follow_up_months: tuple[int, ...] = (3, 6, 12)


def _be(value: dt.date | None) -> str:
    return to_input(value) if value else ""


def _cid(value: str | None, full: bool) -> str:
    return (value or "") if full else mask_citizen_id(value)


def _in_area(req: Request) -> list[ColumnElement[bool]]:
    """Conditions on the joined `Village`: not deleted, in the user's area and in the chosen area
    (a geocode range the village-code index serves, so a district's export reads the district)."""
    conditions = [Village.deleted == false(), req.area]
    if req.filters.area:
        conditions.append(geocode_within(Village.code, req.filters.area))
    return conditions


def _place():  # noqa: ANN202
    """Village, subdistrict and district columns joined from a village."""
    return (Village.code, Village.name, Subdistrict.name_th.label("subdistrict"), District.name_th.label("district"))


def _with_place(query, village_column):  # noqa: ANN001, ANN202
    return (query.join(Village, Village.id == village_column)
            .join(Subdistrict, Subdistrict.code == Village.subdistrict_code)
            .join(District, District.code == Subdistrict.district_code))


def _trainings(req: Request):  # noqa: ANN202
    """The trainings in scope (the figures' own definition), to join an export's rows to."""
    return figures.trainings_in_scope(req.area, req.filters)


PLACE_HEADERS = ("Village code", "Village", "Subdistrict", "District")
SURVEY_LABELS = {"baseline": "Baseline", "after_training": "After training", "follow_up_3m": "3 months",
                 "follow_up_6m": "6 months", "follow_up_12m": "12 months"}


def households(req: Request) -> tuple[list[str], Any, Callable[[Any], list[Any]]]:
    headers: list[Any] = [*PLACE_HEADERS, "House no.", "Head of household", "Citizen ID", "Members",
               "Annual income (baht)", "Income per person (baht)", "Phone", "Consent", "Trade of interest"]
    query = _with_place(select(*_place(), Household.house_no, Household.head_name, Household.citizen_id,
                               Household.members, Household.annual_income, Household.phone, Household.consent,
                               Household.interest), Household.village_id)
    query = (query.where(Household.deleted == false(), *_in_area(req))
             .order_by(Village.code, Household.house_sort, Household.id))

    def row(r: Any) -> list[Any]:
        per_person = round(r.annual_income / r.members) if r.members and r.annual_income is not None else ""
        return [r.code, r.name, r.subdistrict, r.district, r.house_no, r.head_name, _cid(r.citizen_id, req.full_citizen_ids),
                r.members, "" if r.annual_income is None else r.annual_income, per_person, r.phone or "", thai("yes") if r.consent else thai("no"),
                r.interest or ""]
    return headers, query, row


def enrollments(req: Request) -> tuple[list[str], Any, Callable[[Any], list[Any]]]:
    headers: list[Any] = [*PLACE_HEADERS, "Fiscal year", "Trade", "House no.", "Head of household", "Citizen ID", "Status",
               "Selection reason", "Last changed"]
    t = _trainings(req)
    query = (_with_place(select(*_place(), Training.fiscal_year, Training.occupation, Household.house_no,
                                Household.head_name, Household.citizen_id, Enrollment.status,
                                Enrollment.reason, Enrollment.updated_at)
                         .select_from(t)
                         .join(Training, Training.id == t.c.training_id)
                         .join(Enrollment, Enrollment.training_id == t.c.training_id)
                         .join(Household, Household.id == Enrollment.household_id), Training.village_id)
             .where(Enrollment.deleted == false())
             .order_by(Village.code, Training.occupation, Household.house_sort, Enrollment.id))

    def row(r: Any) -> list[Any]:
        return [r.code, r.name, r.subdistrict, r.district, r.fiscal_year, r.occupation, r.house_no, r.head_name,
                _cid(r.citizen_id, req.full_citizen_ids),
                thai("selected") if r.status == "selected" else thai("withdrawn"), r.reason or "",
                _be(r.updated_at.date() if r.updated_at else None)]
    return headers, query, row


def attendance(req: Request) -> tuple[list[str], Any, Callable[[Any], list[Any]]]:
    """A row per selected household, a column per training day (1 present, 0 absent, blank unmarked)."""
    days = range(1, TRAINING_DAYS + 1)
    headers: list[Any] = [*PLACE_HEADERS, "Trade", "House no.", "Head of household", "Citizen ID",
               *[("Day {n}", d) for d in days], "Days present"]
    t = _trainings(req)
    marks = [func.max(case((and_(TrainingSession.day == d, Attendance.present == True), 1),  # noqa: E712
                           (TrainingSession.day == d, 0))).label(f"d{d}") for d in days]
    query = (_with_place(select(*_place(), Training.occupation, Household.house_no, Household.head_name,
                                Household.citizen_id, *marks)
                         .select_from(t)
                         .join(Training, Training.id == t.c.training_id)
                         .join(Enrollment, Enrollment.training_id == t.c.training_id)
                         .join(Household, Household.id == Enrollment.household_id)
                         .outerjoin(TrainingSession, and_(TrainingSession.training_id == Training.id,
                                                          TrainingSession.deleted == false()))
                         .outerjoin(Attendance, and_(Attendance.session_id == TrainingSession.id,
                                                     Attendance.household_id == Enrollment.household_id,
                                                     Attendance.deleted == false())), Training.village_id)
             .where(Enrollment.deleted == false(), Enrollment.status == "selected")
             .group_by(Enrollment.id, Village.code, Village.name, Subdistrict.name_th, District.name_th,
                       Training.occupation, Household.house_no, Household.house_sort, Household.head_name,
                       Household.citizen_id)
             .order_by(Village.code, Training.occupation, Household.house_sort, Enrollment.id))

    def row(r: Any) -> list[Any]:
        values = [getattr(r, f"d{d}") for d in days]
        return [r.code, r.name, r.subdistrict, r.district, r.occupation, r.house_no, r.head_name,
                _cid(r.citizen_id, req.full_citizen_ids), *["" if v is None else v for v in values],
                sum(v or 0 for v in values)]
    return headers, query, row


def surveys(req: Request) -> tuple[list[str], Any, Callable[[Any], list[Any]]]:
    headers: list[Any] = [*PLACE_HEADERS, "House no.", "Head of household", "Citizen ID", "Survey", "Surveyed on",
               "Annual income (baht)", "Trade income a month (baht)", "Practising the trade", "Note"]
    t = _trainings(req)
    # The selected households, once each (a household in two trainings has its surveys listed once).
    enrolled = (select(Enrollment.household_id).select_from(t)
                .join(Enrollment, Enrollment.training_id == t.c.training_id)
                .where(Enrollment.deleted == false(), Enrollment.status == "selected")
                .distinct().subquery("enrolled"))
    query = (_with_place(select(*_place(), Household.house_no, Household.head_name, Household.citizen_id,
                                Survey.kind, Survey.surveyed_on, Survey.annual_income, Survey.trade_income_month,
                                Survey.practising_trade, Survey.note)
                         .select_from(enrolled).join(Household, Household.id == enrolled.c.household_id)
                         .join(Survey, Survey.household_id == enrolled.c.household_id),
                         Household.village_id)
             .where(Survey.deleted == false(), Household.deleted == false())
             .order_by(Village.code, Household.house_sort, Household.id, Survey.kind))

    def row(r: Any) -> list[Any]:
        practising = "" if r.practising_trade is None else (thai("yes") if r.practising_trade else thai("no"))
        return [r.code, r.name, r.subdistrict, r.district, r.house_no, r.head_name,
                _cid(r.citizen_id, req.full_citizen_ids), thai(SURVEY_LABELS.get(r.kind, r.kind)), _be(r.surveyed_on),
                "" if r.annual_income is None else r.annual_income,
                "" if r.trade_income_month is None else r.trade_income_month, practising, r.note or ""]
    return headers, query, row


def groups(req: Request) -> tuple[list[str], Any, Callable[[Any], list[Any]]]:
    """The occupation-group registry in the department's columns."""
    headers = ["No.", "Group name", "Village", "Subdistrict", "District", "Date registered", "Phone", "Category",
               "Note"]
    category = Occupation.__table__.alias("category")
    query = (_with_place(select(*_place(), OccupationGroup.name.label("group_name"), OccupationGroup.registered_on,
                                OccupationGroup.phone, category.c.name_th.label("category_name"),
                                OccupationGroup.note)
                         .select_from(OccupationGroup)
                         .outerjoin(category, category.c.code == OccupationGroup.category),
                         OccupationGroup.village_id)
             .where(OccupationGroup.deleted == false(), *_in_area(req))
             .order_by(Village.code, OccupationGroup.name, OccupationGroup.id))
    counter = iter(range(1, 1 << 62))

    def row(r: Any) -> list[Any]:
        return [next(counter), r.group_name, f"{r.name} ({r.code})", r.subdistrict, r.district, _be(r.registered_on),
                r.phone or "", r.category_name or "", r.note or ""]
    return headers, query, row


FUNDING_STATUS_LABELS = {"drafted": "Drafted", "submitted": "Submitted", "approved": "Approved",
                         "received": "Received", "refused": "Refused"}


def funding(req: Request) -> tuple[list[str], Any, Callable[[Any], list[Any]]]:
    """Funding requests of the area's groups and trainings in the fiscal year (of the day asked)."""
    headers = [*PLACE_HEADERS, "Group or training", "Funding source", "Status", "Asked on", "Amount asked (baht)",
               "Answered on", "Received on", "Amount received (baht)", "Proposal file name", "Notes"]
    source = Occupation.__table__.alias("source")
    trade = Occupation.__table__.alias("trade")
    query = (select(*_place(), OccupationGroup.name.label("group_name"), trade.c.name_th.label("trade_name"),
                    Training.fiscal_year, source.c.name_th.label("source_name"), FundingRequest.source,
                    FundingRequest.status, FundingRequest.asked_on, FundingRequest.amount_asked,
                    FundingRequest.decided_on, FundingRequest.received_on, FundingRequest.amount_received,
                    FundingRequest.proposal_file, FundingRequest.note)
             .select_from(FundingRequest)
             .outerjoin(OccupationGroup, OccupationGroup.id == FundingRequest.group_id)
             .outerjoin(Training, Training.id == FundingRequest.training_id)
             .outerjoin(trade, trade.c.code == Training.occupation)
             .outerjoin(source, source.c.code == FundingRequest.source))
    query = (_with_place(query, func.coalesce(OccupationGroup.village_id, Training.village_id))
             .where(*_in_area(req), in_fiscal_year(req.filters.fiscal_year))
             .order_by(Village.code, FundingRequest.asked_on, FundingRequest.id))

    def row(r: Any) -> list[Any]:
        what = r.group_name or f"{thai('Training')}: {r.trade_name or ''} {r.fiscal_year or ''}".strip()
        return [r.code, r.name, r.subdistrict, r.district, what, r.source_name or r.source,
                thai(FUNDING_STATUS_LABELS.get(r.status, r.status)), _be(r.asked_on), r.amount_asked,
                _be(r.decided_on), _be(r.received_on), r.amount_received or 0, r.proposal_file or "", r.note or ""]
    return headers, query, row


DATASETS: dict[str, Callable[[Request], tuple[list[str], Any, Callable[[Any], list[Any]]]]] = {
    "households": households, "enrollments": enrollments, "attendance": attendance, "surveys": surveys,
    "groups": groups, "funding": funding,
}
ALL_DATASETS = (*DATASETS, "indicators")


def indicator_rows(db: Session, req: Request) -> tuple[list[str], list[list[Any]]]:
    """The indicators by village (a few thousand rows at most: computed, then written)."""
    months = list(req.follow_up_months)
    kinds = figures.round_kinds(months)
    rows = figures.outcomes(db, area=req.area, filters=req.filters, by="village", follow_up_months=months)
    names = dict(db.exec(select(Village.code, Village.name).where(Village.code.in_(list(rows) or [""]))).all())
    headers = [thai(h) for h in ("Village code", "Village", "Trained households", "Households surveyed",
                                 "Practising the trade", "Practising share (%)")]
    for kind in kinds:
        headers += [f"{thai(SURVEY_LABELS[kind])}: {thai(h)}" for h in (
            "households", "average income before", "average income after", "change of average income (%)",
            "median household change (%)", "zero baseline")]
    headers.append(thai("Occupation group"))
    out = []
    for code in sorted(rows):
        r = rows[code]
        line: list[Any] = [code, names.get(code, ""), r.trained, r.followed_up, r.practising, _round(r.practising_share)]
        for kind in kinds:
            inc = r.income[kind]
            line += [inc.households, _round(inc.before_average), _round(inc.after_average), _round(inc.change),
                     _round(inc.median_change), inc.zero_baseline]
        line.append(thai("yes") if r.villages_with_group else thai("no"))
        out.append(line)
    return headers, out


def _round(value: float | None) -> Any:
    return "" if value is None else round(value, 2)


def rows(engine: Engine, dataset: str, req: Request) -> Iterator[list[Any]]:
    """The header row, then every data row, read `BATCH` at a time in a session of its own."""
    with Session(engine) as db:
        figures.prepare(db)
        if dataset == "indicators":
            headers, data = indicator_rows(db, req)
            yield headers
            yield from data
            return
        headers, query, shape = DATASETS[dataset](req)
        yield [thai(h) if isinstance(h, str) else thai(h[0]).format(n=h[1]) for h in headers]
        for record in db.exec(query.execution_options(yield_per=BATCH)):
            yield shape(record)


def csv_chunks(lines: Iterator[list[Any]]) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so Excel reads the Thai), sent `CHUNK` bytes at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    for line in lines:
        writer.writerow(csv_row(line))
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(lines: Iterator[list[Any]], *, title: str) -> Iterator[bytes]:
    """A write-only workbook (rows go to disk as they are appended), then the file in chunks."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for line in lines:
        sheet.append(xlsx_row(sheet, line))
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def stream(engine: Engine, dataset: str, fmt: str, req: Request) -> Iterator[bytes]:
    lines = rows(engine, dataset, req)
    return csv_chunks(lines) if fmt == "csv" else xlsx_chunks(lines, title=dataset)
