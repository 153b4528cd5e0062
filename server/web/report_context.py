"""What every report page shows around its figures: the filters asked for, the years and areas to choose from, the numbers' style."""
from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template
from sqlmodel import Session

from server.config.values import (
    occupation_names,
)
from server.core.dates import thai_today
from server.core.i18n import current_locale, gettext_
from server.models import (
    User,
)
from server.reports import figures
from server.reports.formatting import Numbers
from server.reports.report_area import (
    FilterError,
    Filters,
    breadcrumbs,
    fiscal_years,
    home_area,
)
from server.web.templates import render


def round_labels() -> dict[str, str]:
    return {"baseline": gettext_("Baseline"), "after_training": gettext_("After training"),
            "follow_up_3m": gettext_("3 months"), "follow_up_6m": gettext_("6 months"),
            "follow_up_12m": gettext_("12 months")}


def filter_params(request: Request) -> dict[str, str | None]:
    return {k: request.query_params.get(k) for k in ("year", "area", "occupation")}


def numbers(request: Request) -> Numbers:
    """Arabic digits unless the page is asked for Thai ones (`?digits=thai`, used by printed reports)."""
    return Numbers(thai_digits=request.query_params.get("digits") == "thai", locale=current_locale.get())


def report_context(db: Session, user: User, filters: Filters | None, request: Request) -> dict[str, Any]:
    year = filters.fiscal_year if filters else figures_year_default()
    return {"user": user, "filters": filters, "years": fiscal_years(db, year), "fmt": numbers(request),
            "trade_options": list(occupation_names(db, kind="trade").items()),
            "occupation_names": occupation_names(db), "round_labels": round_labels(),
            "crumbs_items": breadcrumbs(db, filters.area, home_area(db, user)) if filters else [],
            "goals": {"practising": figures.GOAL_PRACTISING, "income": figures.GOAL_INCOME_CHANGE,
                      "groups": figures.GOAL_GROUP_VILLAGES}}


def figures_year_default() -> int:
    from server.core.dates import fiscal_year_be

    return fiscal_year_be(thai_today())


def filter_error_page(db: Session, user: User, template: str, error: FilterError, request: Request) -> Template:
    return render(template, request=request, error=error, status_code=400, rows=[], total=None,
                  **report_context(db, user, None, request), params=filter_params(request))
