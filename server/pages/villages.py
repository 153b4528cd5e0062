"""The village list of the user's area, each with its progress in the program."""
from __future__ import annotations

from litestar import Request, get
from litestar.response import Template
from sqlmodel import Session

from server.auth.scope import area_village_ids
from server.models import User
from server.progress import current_fiscal_year, village_progress
from server.web import render, wants_fragment


@get("/villages", sync_to_thread=True)
def village_list(request: Request, db: Session, user: User) -> Template:
    progress = village_progress(db, area_village_ids(db, user))
    query = (request.query_params.get("q") or "").strip()
    if query:
        progress = [p for p in progress
                    if query in p.village.name or query in p.village.code or query in p.subdistrict.name_th
                    or query.lower() in p.subdistrict.name_en.lower()]
    template = "_village_rows.html" if wants_fragment(request) else "villages.html"
    return render(template, user=user, progress=progress, q=query, fiscal_year=current_fiscal_year())


handlers = [village_list]
