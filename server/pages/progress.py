"""Progress and outcomes of the program, province → district → subdistrict → village, for a fiscal year."""
from __future__ import annotations

from litestar import Router, Request, get
from litestar.background_tasks import BackgroundTask
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.web.audited import shows_personal_data
from server.web.guards import signed_in
from server.auth.access import NotFoundInArea
from server.config.values import (
    five_k_elements,
    follow_up_months,
    households_per_village,
    occupation_names,
)
from server.core.dates import thai_today
from server.core.i18n import gettext_
from server.core.numbers import parse_int
from server.program.funding import funding_source_names, funding_summary
from server.models import User
from server.models.program import SURVEY_KINDS
from server.program.rules import TRAINING_DAYS
from server.reports import behind_figures as records
from server.reports import charts, figures, snapshots
from server.reports.report_area import (
    CHILD_LENGTH,
    FilterError,
    area_condition,
    parse_filters,
    unit_names,
)
from server.reports.village_story import village_by_code, village_story
from server.web.report_context import filter_error_page, filter_params, report_context
from server.web.templates import render
from server.review.rounds import area_rounds

OUTCOME_BREAKDOWNS = ("district", "subdistrict", "village", "occupation")
RECORDS_PER_PAGE = 100


@get("/progress", sync_to_thread=True)
def progress_page(request: Request, db: Session, user: User) -> Template | Redirect:
    try:
        filters = parse_filters(db, user, filter_params(request), today=thai_today())
    except FilterError as error:
        return filter_error_page(db, user, "progress.html", error, request)
    if len(filters.area) == 8:
        return Redirect(path=f"/progress/villages/{filters.area}?{filters.query(area=None)}")
    area = area_condition(db, user)
    by = figures.LEVEL_BY_LENGTH[CHILD_LENGTH[len(filters.area)]]
    options = {"area": area, "filters": filters, "today": thai_today(), "follow_up_months": follow_up_months(db),
               "five_k_codes": [e.code for e in five_k_elements(db)]}
    served = snapshots.progress_tables(db, snapshots.policy_of(request.app.state.settings),
                                       breakdowns=[by, "total"], **options)
    rows, total = served.tables[by], served.tables["total"].get("")
    names = unit_names(db, sorted(rows))
    response = render("progress.html", request=request, rows=[(k, names.get(k, k), rows[k]) for k in sorted(rows)],
                      total=total, by=by, per_village=households_per_village(db), days=range(1, TRAINING_DAYS + 1),
                      rounds=["baseline", *figures.round_kinds(options["follow_up_months"])], error=None,
                      as_of=served.as_of, params=filter_params(request),
                      funding=funding_summary(db, area=area, filters=filters),
                      funding_source_names=funding_source_names(db),
                      signoffs=area_rounds(db, area, filters.fiscal_year, filters.area, filters.occupation),
                      **report_context(db, user, filters, request))
    response.background = BackgroundTask(served.refresh) if served.refresh else None
    return response


@get("/outcomes", sync_to_thread=True)
def outcomes_page(request: Request, db: Session, user: User) -> Template:
    by = request.query_params.get("by") or ""
    try:
        filters = parse_filters(db, user, filter_params(request), today=thai_today())
        if by and by not in OUTCOME_BREAKDOWNS:
            raise FilterError("by", gettext_("Choose a breakdown: district, subdistrict, village or trade."))
    except FilterError as error:
        return filter_error_page(db, user, "outcomes.html", error, request)
    if not by:
        by = figures.LEVEL_BY_LENGTH.get(CHILD_LENGTH.get(len(filters.area), 8), "village")
    area = area_condition(db, user)
    months = follow_up_months(db)
    served = snapshots.outcome_tables(db, snapshots.policy_of(request.app.state.settings), area=area,
                                      filters=filters, breakdowns=[by, "total"], follow_up_months=months)
    rows, total = served.tables[by], served.tables["total"].get("")
    names = occupation_names(db) if by == "occupation" else unit_names(db, sorted(rows))
    ordered = [(k, names.get(k, k), rows[k]) for k in sorted(rows)]
    kinds = figures.round_kinds(months)
    response = render("outcomes.html", request=request, rows=ordered, total=total, by=by, rounds=kinds, error=None,
                      as_of=served.as_of, breakdowns=OUTCOME_BREAKDOWNS, params=filter_params(request),
                      practising_chart=charts.bars([(name, r.practising_share, r.followed_up)
                                                    for _k, name, r in ordered],
                                                   goal=figures.GOAL_PRACTISING, maximum=100.0),
                      income_chart=charts.bars([(name, r.income[kinds[0]].change, r.income[kinds[0]].households)
                                                for _k, name, r in ordered], goal=figures.GOAL_INCOME_CHANGE)
                      if kinds else None,
                      earning_chart=charts.bars([(name, r.earning_more_share, r.spending_known)
                                                 for _k, name, r in ordered], maximum=100.0),
                      savings_chart=charts.bars([(name, r.savings_rising_share, r.savings_known)
                                                 for _k, name, r in ordered], maximum=100.0),
                      group_chart=charts.bars([(name, r.group_share, r.villages) for _k, name, r in ordered],
                                              goal=figures.GOAL_GROUP_VILLAGES, maximum=100.0),
                      **report_context(db, user, filters, request))
    response.background = BackgroundTask(served.refresh) if served.refresh else None
    return response


@get("/progress/records", sync_to_thread=True)
@shows_personal_data("household")
def records_page(request: Request, db: Session, user: User) -> Template:
    what = request.query_params.get("what") or ""
    try:
        filters = parse_filters(db, user, filter_params(request), today=thai_today())
        if not records.known(what, follow_up_months(db)):
            raise FilterError("what", gettext_("This list does not exist; open it from a figure on a report."))
    except FilterError as error:
        return filter_error_page(db, user, "progress_records.html", error, request)
    page = max(parse_int(request.query_params.get("page")) or 1, 1)
    options = {"area": area_condition(db, user), "filters": filters, "what": what,
               "offset": (page - 1) * RECORDS_PER_PAGE, "limit": RECORDS_PER_PAGE}
    if records.is_village_list(what):
        result = records.villages(db, **options)
    else:
        result = records.households(db, today=thai_today(), **options)
    pages = max(1, -(-result.total // RECORDS_PER_PAGE))
    return render("progress_records.html", request=request, what=what, result=result, page=page, pages=pages,
                  village_list=records.is_village_list(what), error=None, params=filter_params(request),
                  title=record_titles().get(what.partition(":")[0], what), kind=what.partition(":")[2],
                  **report_context(db, user, filters, request))


def record_titles() -> dict[str, str]:
    return {"selected": gettext_("Selected households"), "withdrawn": gettext_("Withdrawn households"),
            "trained": gettext_("Trained households"), "practising": gettext_("Households practising the trade"),
            "awaiting": gettext_("Trained households awaiting a follow-up survey"),
            "missing": gettext_("Surveys due and not done"), "income": gettext_("Income before and after"),
            "earning_more": gettext_("Households earning more than they spend"),
            "spending_known": gettext_("Households with income and expenses in a follow-up survey"),
            "savings_rising": gettext_("Households whose savings rose"),
            "savings_known": gettext_("Households with savings in the baseline and a follow-up survey"),
            "villages": gettext_("Target villages"), "with_group": gettext_("Villages with an occupation group"),
            "without_group": gettext_("Villages without an occupation group")}


@get("/progress/villages/{code:str}", sync_to_thread=True)
@shows_personal_data("household")
def village_page(request: Request, db: Session, user: User, code: str) -> Template:
    params = {**filter_params(request), "area": code}
    try:
        filters = parse_filters(db, user, params, today=thai_today())
    except FilterError as error:
        if error.field == "area":
            raise NotFoundInArea() from error
        return filter_error_page(db, user, "progress_village.html", error, request)
    village = village_by_code(db, code=code)
    if village is None:
        raise NotFoundInArea()
    story = village_story(db, village, filters.fiscal_year)
    return render("progress_village.html", request=request, village=village, error=None, params=params,
                  elements=five_k_elements(db), kinds=SURVEY_KINDS, today=thai_today(), **story,
                  **report_context(db, user, filters, request))


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[signed_in], route_handlers=[progress_page, outcomes_page, records_page, village_page]),
]
