"""Exports (CSV, XLSX) and printed reports: an attendance sheet to sign, a village report, a district summary."""
from __future__ import annotations

from typing import Any

from litestar import Router, Request, get
from litestar.response import Stream, Template
from sqlmodel import Session

from server.web.audited import shows_personal_data
from server.web.guards import signed_in
from server.audit.log import audit
from server.auth.access import NotFoundInArea
from server.auth.areas import training_in_area
from server.config.values import (
    five_k_elements,
    follow_up_months,
    households_per_village,
)
from server.core.dates import thai_today
from server.core.i18n import gettext_
from server.models import (
    District,
    TrainingSession,
    User,
    Village,
)
from server.program.rules import TRAINING_DAYS
from server.program.funding import funding_source_names, funding_summary
from server.reports import exports, figures
from server.reports.report_area import FilterError, area_condition, parse_filters
from server.reports.attendance_register import attendance_sheet
from server.reports.village_story import village_by_code, village_story
from server.web.report_context import filter_error_page, filter_params, report_context
from server.web.templates import render
from server.review.rounds import area_rounds


def dataset_labels() -> dict[str, str]:
    return {"households": gettext_("Households"), "enrollments": gettext_("Enrollments"),
            "attendance": gettext_("Attendance (a column per day)"), "surveys": gettext_("Surveys"),
            "groups": gettext_("Occupation-group registry"), "indicators": gettext_("Indicators by village"),
            "funding": gettext_("Funding requests of groups and trainings")}


@get("/reports", sync_to_thread=True)
def reports_page(request: Request, db: Session, user: User) -> Template:
    try:
        filters = parse_filters(db, user, filter_params(request), today=thai_today())
    except FilterError as error:
        return filter_error_page(db, user, "reports.html", error, request)
    district = filters.area[:4] if len(filters.area) >= 4 else None
    return render("reports.html", request=request, error=None, params=filter_params(request),
                  datasets=dataset_labels(), formats=exports.FORMATS, district=district,
                  **report_context(db, user, filters, request))


@get("/reports/export/{name:str}", sync_to_thread=True)
def export(request: Request, db: Session, user: User, name: str) -> Stream | Template:
    dataset, _, fmt = name.partition(".")
    try:
        filters = parse_filters(db, user, filter_params(request), today=thai_today())
        if dataset not in exports.ALL_DATASETS or fmt not in exports.FORMATS:
            raise FilterError("dataset", gettext_("There is no such export: choose one on the exports page."))
    except FilterError as error:
        return filter_error_page(db, user, "reports.html", error, request)
    full = user.role == "admin"
    req = exports.Request(area=area_condition(db, user), filters=filters, full_citizen_ids=full,
                          follow_up_months=tuple(follow_up_months(db)))
    audit(db, action="export", entity=dataset, user_id=user.id,
          detail={"format": fmt, "area": filters.area, "year": filters.fiscal_year,
                  "occupation": filters.occupation, "full_citizen_ids": full})
    db.commit()
    filename = f"sammachip-{dataset}-{filters.fiscal_year}{'-' + filters.area if filters.area else ''}.{fmt}"
    return Stream(exports.stream(request.app.state.engine, dataset, fmt, req),
                  media_type=exports.MEDIA_TYPES[fmt],
                  headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


# --- print ----------------------------------------------------------------------------------------

@get("/print/sessions/{session_id:str}", sync_to_thread=True)
@shows_personal_data("household")
def print_session(request: Request, db: Session, user: User, session_id: str) -> Template:
    """An A4 sheet for one training: a row per selected household, a column per day, a signature column."""
    session = db.get(TrainingSession, session_id)
    if session is None or session.deleted:
        raise NotFoundInArea()
    training = training_in_area(db, user, session.training_id)
    village = db.get(Village, training.village_id)
    sessions, households = attendance_sheet(db, training_id=training.id)
    return render("print_attendance.html", request=request, training=training, village=village, sessions=sessions,
                  session=session, households=households, days=range(1, TRAINING_DAYS + 1),
                  **_print_context(db, user, request, training.fiscal_year))


def _print_context(db: Session, user: User, request: Request, fiscal_year: int) -> dict[str, Any]:
    params = {**filter_params(request), "year": str(fiscal_year), "area": ""}
    filters = parse_filters(db, user, {**params, "area": None}, today=thai_today())
    return {**report_context(db, user, filters, request), "printed_on": thai_today(),
            "digits": request.query_params.get("digits") or "arabic"}


@get("/print/villages/{code:str}", sync_to_thread=True)
@shows_personal_data("household")
def print_village(request: Request, db: Session, user: User, code: str) -> Template:
    try:
        filters = parse_filters(db, user, {**filter_params(request), "area": code}, today=thai_today())
    except FilterError as error:
        if error.field == "area":
            raise NotFoundInArea() from error
        return filter_error_page(db, user, "reports.html", error, request)
    village = village_by_code(db, code=code)
    if village is None:
        raise NotFoundInArea()
    months = follow_up_months(db)
    outcome = figures.outcomes(db, area=area_condition(db, user), filters=filters, by="total",
                               follow_up_months=months).get("")
    return render("print_village.html", request=request, village=village, outcome=outcome,
                  rounds=figures.round_kinds(months), elements=five_k_elements(db),
                  kinds=("baseline", *figures.round_kinds(months)), printed_on=thai_today(),
                  digits=request.query_params.get("digits") or "arabic",
                  **village_story(db, village, filters.fiscal_year), **report_context(db, user, filters, request))


@get("/print/districts/{code:str}", sync_to_thread=True)
def print_district(request: Request, db: Session, user: User, code: str) -> Template:
    try:
        filters = parse_filters(db, user, {**filter_params(request), "area": code}, today=thai_today())
    except FilterError as error:
        if error.field == "area":
            raise NotFoundInArea() from error
        return filter_error_page(db, user, "reports.html", error, request)
    district = db.get(District, code) if len(code) == 4 else None
    if district is None:
        raise NotFoundInArea()
    area = area_condition(db, user)
    months = follow_up_months(db)
    options = {"area": area, "filters": filters, "today": thai_today(), "follow_up_months": months,
               "five_k_codes": [e.code for e in five_k_elements(db)]}
    progress = figures.progress_tables(db, breakdowns=["subdistrict", "total"], **options)
    progress_rows, progress_total = progress["subdistrict"], progress["total"].get("")
    outcome = figures.outcome_tables(db, area=area, filters=filters, breakdowns=["subdistrict", "total"],
                                     follow_up_months=months)
    outcome_rows, outcome_total = outcome["subdistrict"], outcome["total"].get("")
    from server.reports.report_area import unit_names

    names = unit_names(db, sorted(set(progress_rows) | set(outcome_rows)))
    rounds_signed = area_rounds(db, area, filters.fiscal_year, code, filters.occupation)
    return render("print_district.html", request=request, district=district, names=names, signoffs=rounds_signed,
                  progress_rows=progress_rows, progress_total=progress_total, outcome_rows=outcome_rows,
                  outcome_total=outcome_total, rounds=figures.round_kinds(months), per_village=households_per_village(db),
                  printed_on=thai_today(), digits=request.query_params.get("digits") or "arabic",
                  days=range(1, TRAINING_DAYS + 1), funding=funding_summary(db, area=area, filters=filters),
                  funding_source_names=funding_source_names(db), **report_context(db, user, filters, request))


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[signed_in], route_handlers=[reports_page, export, print_session, print_village, print_district]),
]
