"""The village list of the user's area, each with its progress in the program."""
from __future__ import annotations

from litestar import Router, Request, get
from litestar.response import Template
from sqlalchemy import or_
from sqlmodel import Session, select

from server.web.guards import signed_in
from server.core.dates import current_fiscal_year
from server.models import Subdistrict, User, Village
from server.core.paging import page_of
from server.reports.report_area import area_condition
from server.reports.village_progress import village_progress
from server.web.templates import render, wants_fragment

VILLAGES_PER_PAGE = 50


def _village_filter(db: Session, user: User, query: str) -> list:
    """The villages of the user's area matching `query` (a village's name or code, or its subdistrict's name)."""
    conditions = [Village.deleted == False, area_condition(db, user)]  # noqa: E712
    if query:
        subdistricts = select(Subdistrict.code).where(or_(Subdistrict.name_th.contains(query, autoescape=True),
                                                          Subdistrict.name_en.icontains(query, autoescape=True)))
        conditions.append(or_(Village.name.contains(query, autoescape=True),
                              Village.code.startswith(query, autoescape=True),
                              Village.subdistrict_code.in_(subdistricts)))
    return conditions


@get("/villages", sync_to_thread=True)
def village_list(request: Request, db: Session, user: User) -> Template:
    """One page of the area's villages by geocode: filtered, counted and paged by the database; the
    progress is read for that page's villages only."""
    query = (request.query_params.get("q") or "").strip()
    matching = select(Village.id).where(*_village_filter(db, user, query))
    page = page_of(db, matching, request.query_params.get("page"), VILLAGES_PER_PAGE)
    ids = set(db.exec(matching.order_by(Village.code).offset(page.offset).limit(page.size)).all())
    progress = village_progress(db, ids)
    template = "_village_rows.html" if wants_fragment(request) else "villages.html"
    return render(template, user=user, progress=progress, q=query, fiscal_year=current_fiscal_year(),
                  **page.context("/villages", {"q": query}))


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[signed_in], route_handlers=[village_list]),
]
