"""A village's match: for each trade, the households that want to learn it and the sages who teach it,
and the trade a course of the village would best teach."""
from __future__ import annotations

from litestar import Request, Router, get
from litestar.response import Template
from sqlmodel import Session

from server.web.audited import shows_personal_data
from server.web.guards import signed_in
from server.models import User
from server.config.values import occupation_names
from server.auth.areas import village_in_area
from server.reports.village_progress import current_fiscal_year
from server.program.rules import income_per_person
from server.program.trades import village_match
from server.program.trainer_teams import village_trainings
from server.web.templates import render


@get("/villages/{village_id:str}/match", sync_to_thread=True)
@shows_personal_data("household")
def match_page(request: Request, db: Session, user: User, village_id: str) -> Template:
    village = village_in_area(db, user, village_id)
    matches, suggestion = village_match(db, village)
    fiscal_year = current_fiscal_year()
    trainings = village_trainings(db, village_id=village.id, fiscal_year=fiscal_year)
    return render("village_match.html", user=user, village=village, matches=matches, suggestion=suggestion,
                  trainings=trainings, fiscal_year=fiscal_year, occupation_names=occupation_names(db),
                  per_person=income_per_person)


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[signed_in], route_handlers=[match_page]),
]
