"""The village list of the user's area, each with its progress in the program."""
from __future__ import annotations

from litestar import Router, Request, get
from litestar.response import Template
from sqlmodel import Session

from server.web.guards import signed_in
from server.core.dates import current_fiscal_year
from server.models import User
from server.reports.village_progress import village_page_ids, village_progress
from server.web.templates import render, wants_fragment

VILLAGES_PER_PAGE = 50


@get("/villages", sync_to_thread=True)
def village_list(request: Request, db: Session, user: User) -> Template:
    """One page of the area's villages by geocode: filtered, counted and paged by the database; the
    progress is read for that page's villages only."""
    query = (request.query_params.get("q") or "").strip()
    page, ids = village_page_ids(db, user=user, query=query, page=request.query_params.get("page"),
                                 per_page=VILLAGES_PER_PAGE)
    progress = village_progress(db, ids)
    template = "_village_rows.html" if wants_fragment(request) else "villages.html"
    return render(template, user=user, progress=progress, q=query, fiscal_year=current_fiscal_year(),
                  **page.context("/villages", {"q": query}))


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[signed_in], route_handlers=[village_list]),
]
