"""Sign-off pages: a district's training rounds and whether each is signed off; one round's open
items, its sign-off (with a written reason when something is open) and its reopening."""
from __future__ import annotations

from collections.abc import Callable

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.auth.areas import training_in_area
from server.config.values import occupation_names
from server.core.i18n import gettext_
from server.core.numbers import parse_int
from server.models import Training, User, Village
from server.reports.village_progress import current_fiscal_year
from server.review.quality import rule_titles
from server.review.reviewed_records import describe, entity_label, survey_kind_label
from server.review.rounds import (
    REASON_MAX,
    SignoffRefused,
    open_items,
    reopen,
    round_page_rows,
    round_people,
    sign_off,
    signoff_of,
    user_display,
)
from server.web.forms import Form, FormState, text_value
from server.web.guards import reviewers, signed_in
from server.web.templates import render

SIGNERS = ("supervisor", "admin")
ROUNDS_PER_PAGE = 50


def refusal_message(code: str) -> str:
    return {
        "already": gettext_("This round is already signed off."),
        "not_signed_off": gettext_("This round is not signed off."),
        "reason_required": gettext_("Something is still open in this round: write why it is signed off anyway."),
        "reopen_reason_required": gettext_("Write why the round is reopened."),
        "reason_too_long": gettext_("The reason is too long (at most {n} characters).").format(n=REASON_MAX),
    }.get(code, code)


def open_item_labels() -> dict[str, str]:
    return {"conflicts": gettext_("Conflicts to settle"), "tasks": gettext_("Needs-fix tasks not closed"),
            "findings": gettext_("Data-quality findings"), "missing_attendance": gettext_("Attendance not taken"),
            "missing_surveys": gettext_("Surveys not done")}


@get("/signoff", sync_to_thread=True)
def rounds_page(request: Request, db: Session, user: User) -> Template:
    """The training rounds of the user's area in a fiscal year, signed off or not, paged by the database."""
    fiscal_year = parse_int(request.query_params.get("fy")) or current_fiscal_year()
    status = request.query_params.get("status") or "all"
    page, rows = round_page_rows(db, user=user, fiscal_year=fiscal_year, status=status,
                                 page=request.query_params.get("page"), per_page=ROUNDS_PER_PAGE)
    return render("signoff_rounds.html", user=user, rows=rows, fiscal_year=fiscal_year, status=status,
                  occupation_names=occupation_names(db), user_display=user_display,
                  **page.context("/signoff", {"fy": fiscal_year, "status": status}))


def _round_page(db: Session, user: User, training: Training, *, form: FormState | None = None,
                notice: str | None = None, status_code: int = 200) -> Template:
    village = db.get(Village, training.village_id)
    row = signoff_of(db, training.id)
    people = round_people(db, row=row)
    items = open_items(db, training)
    described = describe(db, [(c.entity, c.record_id) for c in items.conflicts]
                         + [(t.record_entity, t.record_id) for t in items.tasks])
    return render("signoff_round.html", user=user, training=training, village=village, signoff=row,
                  signed_off=row is not None and row.status == "signed_off", people=people,
                  user_display=user_display, items=items, labels=open_item_labels(),
                  occupation_names=occupation_names(db), entity_label=entity_label,
                  survey_kind_label=survey_kind_label, described=described, rule_titles=rule_titles(),
                  may_sign=user.role in SIGNERS,
                  form=form or FormState(), notice=notice, status_code=status_code)


@get("/trainings/{training_id:str}/signoff", sync_to_thread=True)
def round_page(request: Request, db: Session, user: User, training_id: str) -> Template:
    training = training_in_area(db, user, training_id)
    done = request.query_params.get("done")
    notice = {"signed_off": gettext_("The round is signed off: its records are now read-only, on phones too."),
              "reopened": gettext_("The round is open again: its records may change.")}.get(done or "")
    return _round_page(db, user, training, notice=notice)


@post("/trainings/{training_id:str}/signoff", sync_to_thread=True)
def round_sign_off(db: Session, user: User, training_id: str, data: Form) -> Template | Redirect:
    return _decide(db, user, training_id, data, act=sign_off, field="reason", done="signed_off",
                   codes={}, conflict="already")


@post("/trainings/{training_id:str}/reopen", sync_to_thread=True)
def round_reopen(db: Session, user: User, training_id: str, data: Form) -> Template | Redirect:
    return _decide(db, user, training_id, data, act=reopen, field="reopen_reason", done="reopened",
                   codes={"reason_required": "reopen_reason_required"}, conflict="not_signed_off")


def _decide(db: Session, user: User, training_id: str, data: Form, *, act: Callable[..., None], field: str,
            done: str, codes: dict[str, str], conflict: str) -> Template | Redirect:
    """Sign a round off or reopen it: the reason given, the refusal in words beside it, or the page again."""
    training = training_in_area(db, user, training_id)
    reason = text_value(data, field)
    try:
        act(db, user, training, reason=reason)
    except SignoffRefused as refused:
        db.rollback()
        form = FormState(values={field: reason or ""})
        form.error(field, refusal_message(codes.get(refused.code, refused.code)))
        return _round_page(db, user, training, form=form, status_code=409 if refused.code == conflict else 422)
    db.commit()
    return Redirect(path=f"/trainings/{training.id}/signoff?done={done}")


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[signed_in], route_handlers=[rounds_page, round_page]),
    Router(path="/", guards=[reviewers], route_handlers=[round_sign_off, round_reopen]),
]
