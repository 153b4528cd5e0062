"""The home page: what to do next in my area."""
from __future__ import annotations

from litestar import Router, get
from litestar.response import Template
from sqlmodel import Session

from server.web.guards import signed_in
from server.auth.areas import area_village_count, area_village_ids
from server.core.dates import current_fiscal_year
from server.models import User
from server.reports.village_progress import village_progress
from server.review.conflicts import open_conflict_count
from server.web.templates import render

# Each list of the home page shows this many; the rest are a tap away on /villages.
HOME_LIST_LIMIT = 20
# An area larger than this (an admin's country) gets its figures on /progress instead of lists here.
HOME_VILLAGES_LIMIT = 2000


@get("/", sync_to_thread=True)
def home(db: Session, user: User) -> Template:
    village_ids = area_village_ids(db, user)
    villages = area_village_count(db, village_ids=village_ids)
    # A country's villages are followed on the progress pages, not listed one by one here.
    progress = village_progress(db, village_ids) if villages <= HOME_VILLAGES_LIMIT else []
    # A village is in this year's program when it is a target or has a training planned anyway.
    in_program = [p for p in progress if p.village.participating or p.training is not None]
    trained = [p for p in in_program if p.training is not None]
    todo = {
        "no_team": [p for p in in_program if not p.team_complete],
        "no_training": [p for p in in_program if p.training is None],
        "no_households": [p for p in trained if p.enrolled == 0],
        "undated": [p for p in trained if p.days_undated],
        "no_attendance": [(p, day) for p in trained for day in p.days_without_attendance],
        "upcoming": sorted((p for p in in_program if p.next_session is not None),
                           key=lambda p: p.next_session.date)[:5],
    }
    open_conflicts = 0
    if user.role in ("supervisor", "admin"):
        open_conflicts = open_conflict_count(db, village_ids=village_ids)
    return render("home.html", user=user, progress=in_program, todo=todo,
                  open_conflicts=open_conflicts, fiscal_year=current_fiscal_year(),
                  limit=HOME_LIST_LIMIT, villages=villages, listed=villages <= HOME_VILLAGES_LIMIT)


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[signed_in], route_handlers=[home]),
]
