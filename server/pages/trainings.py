"""Trainings: a village's 5-day course in one trade, its movable schedule, and target selection."""
from __future__ import annotations

import functools

import datetime as dt
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.auth.access import NotFoundInArea
from server.auth.areas import (
    area_villages,
    may_place_in_village,
    training_in_area,
    village_options,
)
from server.config.values import (
    households_per_village,
    occupation_names,
    occupations,
    poverty_line,
    rank_by_welfare_card,
)
from server.core.dates import current_fiscal_year, to_input
from server.core.i18n import current_locale, gettext_
from server.core.numbers import parse_int
from server.models import (
    Enrollment,
    Training,
    TrainingSession,
    User,
    Village,
)
from server.models.program import SESSION_KINDS
from server.program.field_checks import check_text
from server.synced.write import Refused, Stale, problems, save_synced
from server.reports.attendance_register import register as attendance_register
from server.review import needs_fix
from server.review.rounds import signed_off_rounds
from server.program.rules import (
    TRAINING_DAYS,
    after_fiscal_year,
    check_selection,
    check_training_day,
    default_session_kind,
    income_per_person,
    rank_candidates,
)
from server.program.trades import team_teaches
from server.program.training_records import (
    day_has_attendance,
    enrolled_households,
    present_per_session,
    training_enrollments,
    training_exists,
    training_page_rows,
    training_sessions,
    village_households,
)
from server.web import funding_forms
from server.web.audited import shows_personal_data
from server.web.guards import signed_in
from server.web.forms import (
    Form,
    FormState,
    as_list,
    date_value,
    form_seq,
    int_value,
    is_stale,
    stale_notice,
    text_value,
    typed_differences,
)
from server.web.templates import render

TRAININGS_PER_PAGE = 50


def session_kind_labels() -> dict[str, str]:
    return {"knowledge": gettext_("Knowledge and demonstration"), "study_visit": gettext_("Study visit"),
            "home_practice": gettext_("Practice at home")}


def days_out_of_order(sessions: list[TrainingSession]) -> list[int]:
    """Days dated before an earlier day. Allowed (schedules move and days may swap), but worth a look."""
    flagged, latest = [], None
    for session in sorted(sessions, key=lambda s: s.day):
        if session.date is None:
            continue
        if latest is not None and session.date < latest:
            flagged.append(session.day)
        latest = max(latest or session.date, session.date)
    return flagged


# --- list and create ----------------------------------------------------------------------------

@get("/trainings", sync_to_thread=True)
def training_list(request: Request, db: Session, user: User) -> Template:
    """One page of the area's trainings, the latest fiscal year first, then by village geocode."""
    fy_raw = request.query_params.get("fy") or ""
    page, found = training_page_rows(db, user=user, fiscal_year=parse_int(fy_raw),
                                     page=request.query_params.get("page"), per_page=TRAININGS_PER_PAGE)
    return render("trainings.html", user=user, rows=found.rows, enrolled=found.enrolled, sessions=found.sessions,
                  fy=fy_raw,
                  occupation_names=occupation_names(db), **page.context("/trainings", {"fy": fy_raw}))


def _new_context(db: Session, user: User) -> dict[str, Any]:
    return {"village_options": village_options(area_villages(db, user)),
            "trade_options": list(occupation_names(db, kind="trade", active_only=True).items())}


@get("/trainings/new", sync_to_thread=True)
def training_new(request: Request, db: Session, user: User) -> Template:
    form = FormState(values={"village_id": request.query_params.get("village") or "",
                             "fiscal_year": current_fiscal_year()})
    return render("training_form.html", user=user, form=form, **_new_context(db, user))


@post("/trainings", sync_to_thread=True)
def training_create(db: Session, user: User, data: Form) -> Template | Redirect:
    form = FormState(values={k: text_value(data, k) or "" for k in
                             ("village_id", "fiscal_year", "occupation", "title", "start_date")})
    village_id = text_value(data, "village_id")
    if not village_id or not may_place_in_village(db, user, village_id):
        form.error("village_id", gettext_("Choose a village in your area."))
    fiscal_year = int_value(form, data, "fiscal_year", required=True)
    if fiscal_year is not None and not 2500 <= fiscal_year <= 2700:
        form.error("fiscal_year", gettext_("Type the fiscal year in the Buddhist Era, e.g. 2570"))
    occupation = text_value(data, "occupation")
    if occupation not in {o.code for o in occupations(db)}:
        form.error("occupation", gettext_("Choose a trade from the occupation list."))
    form.add(check_text("title", text_value(data, "title"), max_length=200))
    start = date_value(form, data, "start_date")
    form.add(check_training_day("start_date", start, fiscal_year))
    if form.ok and training_exists(db, village_id=village_id, occupation=occupation, fiscal_year=fiscal_year):
        form.error("occupation", gettext_("This village already has a training in this trade this fiscal year."))
    if not form.ok:
        return render("training_form.html", user=user, form=form, status_code=422, **_new_context(db, user))
    training = Training()
    try:
        save_synced(db, training, entity="training", user=user,
                    values={"village_id": village_id, "occupation": occupation, "fiscal_year": fiscal_year,
                            "title": text_value(data, "title")})
        for day in range(1, TRAINING_DAYS + 1):
            when = start + dt.timedelta(days=day - 1) if start else None
            save_synced(db, TrainingSession(), entity="session", user=user,
                        values={"training_id": training.id, "day": day, "kind": default_session_kind(day),
                                "date": when})
    except Stale:  # created by someone else since the check above
        form.error("occupation", gettext_("This village already has a training in this trade this fiscal year."))
    except Refused as refused:
        form.add(refused.errors)
    if not form.ok:
        return render("training_form.html", user=user, form=form, status_code=422, **_new_context(db, user))
    db.commit()
    return Redirect(path=f"/trainings/{training.id}")


# --- one training and its schedule --------------------------------------------------------------

def _training_page(db: Session, user: User, training: Training, *, session_forms: dict[str, FormState] | None = None,
                   info_form: FormState | None = None, status_code: int = 200, notice: str | None = None,
                   yours: list[tuple[str, str, str]] | None = None, funding_form: FormState | None = None,
                   funding_for: int | None = None) -> Template:
    village = db.get(Village, training.village_id)
    sessions = training_sessions(db, training_id=training.id)
    forms = {s.id: FormState(values={"date": to_input(s.date), "kind": s.kind, "destination": s.destination or "",
                                     "note": s.note or "", "seq": s.seq}) for s in sessions}
    forms.update(session_forms or {})
    present = present_per_session(db, sessions=sessions)
    enrolled = enrolled_households(db, training_id=training.id)
    info = info_form or FormState(values={"title": training.title or "", "seq": training.seq})
    return render("training.html", user=user, training=training, village=village, sessions=sessions,
                  forms=forms, present=present, enrolled=enrolled, info_form=info, kinds=SESSION_KINDS,
                  out_of_order=days_out_of_order(sessions),
                  after_year=[s.day for s in sessions if after_fiscal_year(s.date, training.fiscal_year)],
                  kind_labels=session_kind_labels(), occupation_names=occupation_names(db), notice=notice,
                  team_teaches=team_teaches(db, training.village_id, training.fiscal_year, training.occupation),
                  yours=yours, signed_off=signed_off_rounds(db, [training.id]).get(training.id),
                  status_code=status_code,
                  **funding_forms.context(db, training_id=training.id, form=funding_form, form_for=funding_for))


@get("/trainings/{training_id:str}", sync_to_thread=True)
@shows_personal_data("training", record="training_id")
def training_page(request: Request, db: Session, user: User, training_id: str) -> Template:
    training = training_in_area(db, user, training_id)
    return _training_page(db, user, training)


def _stale_training(db: Session, user: User, training: Training, data: dict[str, Any]) -> Template:
    yours = typed_differences(("title",), {"title": text_value(data, "title")}, {"title": training.title},
                              {"title": gettext_("Title (optional)")})
    return _training_page(db, user, training, notice=stale_notice(), status_code=409, yours=yours)


@post("/trainings/{training_id:str}", sync_to_thread=True)
def training_update(db: Session, user: User, training_id: str, data: Form) -> Template | Redirect:
    training = training_in_area(db, user, training_id)
    if is_stale(data, training):
        return _stale_training(db, user, training, data)
    form = FormState(values={"title": text_value(data, "title") or "", "seq": text_value(data, "seq") or ""})
    title = text_value(data, "title")
    form.add(check_text("title", title, max_length=200))
    if not form.ok:
        return _training_page(db, user, training, info_form=form, status_code=422)
    try:
        save_synced(db, training, entity="training", values={"title": title}, user=user,
                    expected_seq=form_seq(data))
    except Stale:
        return _stale_training(db, user, training, data)
    db.commit()
    return Redirect(path=f"/trainings/{training.id}")


@post("/trainings/{training_id:str}/sessions/{session_id:str}", sync_to_thread=True)
def session_update(db: Session, user: User, training_id: str, session_id: str, data: Form) -> Template | Redirect:
    """Move a day or change what happens on it; attendance is keyed by the session, so it stays."""
    training = training_in_area(db, user, training_id)
    session = db.get(TrainingSession, session_id)
    if session is None or session.training_id != training.id or session.deleted:
        raise NotFoundInArea()
    if is_stale(data, session):
        return _training_page(db, user, training, notice=stale_notice(), status_code=409)
    form = FormState(values={k: text_value(data, k) or "" for k in ("date", "kind", "destination", "note", "seq")})
    when = date_value(form, data, "date")
    form.add(check_training_day("date", when, training.fiscal_year))
    kind = text_value(data, "kind") or session.kind
    if kind not in SESSION_KINDS:
        form.error("kind", gettext_("Choose what happens on this day."))
    destination = text_value(data, "destination")
    note = text_value(data, "note")
    form.add(check_text("destination", destination, max_length=200))
    form.add(check_text("note", note, max_length=1000))
    if when is None and session.date is not None and "date" not in form.errors and day_has_attendance(
            db, session_id=session.id):
        form.error("date", gettext_("Attendance is already recorded for this day: move it to another date "
                                    "instead of clearing it."))
    if not form.ok:
        return _training_page(db, user, training, session_forms={session.id: form}, status_code=422)
    before = session.date
    moved = before is not None and when != before
    try:
        save_synced(db, session, entity="session", user=user, expected_seq=form_seq(data),
                    values={"date": when, "kind": kind, "destination": destination, "note": note},
                    audit_detail={"moved_from": before.isoformat() if moved else None})
    except Stale:
        return _training_page(db, user, training, notice=stale_notice(), status_code=409)
    except Refused as refused:  # a day with attendance moved after today
        form.add(refused.errors)
        return _training_page(db, user, training, session_forms={session.id: form}, status_code=422)
    db.commit()
    return Redirect(path=f"/trainings/{training.id}#day-{session.day}")


# --- selecting the target households ------------------------------------------------------------

def _selection_version(enrollments: list[Enrollment]) -> int:
    return max((e.seq for e in enrollments), default=0)


def _selection_page(db: Session, user: User, training: Training, *, form: FormState | None = None,
                    status_code: int = 200, notice: str | None = None) -> Template:
    village = db.get(Village, training.village_id)
    households = village_households(db, village_id=training.village_id)
    welfare_first = rank_by_welfare_card(db)
    ranked = rank_candidates(households, welfare_card_first=welfare_first)
    enrollments = {e.household_id: e for e in training_enrollments(db, training_id=training.id)}
    limit = households_per_village(db)
    if form is None:
        selected = [h.id for h in ranked if h.id in enrollments and enrollments[h.id].status == "selected"]
        if not enrollments:
            selected = [h.id for h in ranked[:limit]]  # a first proposal: the poorest N
        values: dict[str, Any] = {"selected": selected, "seq": _selection_version(list(enrollments.values()))}
        for household_id, enrollment in enrollments.items():
            values[f"reason_{household_id}"] = enrollment.reason or ""
        form = FormState(values=values)
    line = poverty_line(db, training.fiscal_year)
    rows = [{"household": h, "per_person": income_per_person(h.annual_income, h.members),
             "enrollment": enrollments.get(h.id)} for h in ranked]
    return render("selection.html", user=user, training=training, village=village, rows=rows, form=form,
                  limit=limit, poverty_line=line, occupation_names=occupation_names(db), notice=notice,
                  welfare_first=welfare_first,
                  signed_off=signed_off_rounds(db, [training.id]).get(training.id), status_code=status_code)


@get("/trainings/{training_id:str}/select", sync_to_thread=True)
@shows_personal_data("household")
def selection_page(request: Request, db: Session, user: User, training_id: str) -> Template:
    return _selection_page(db, user, training_in_area(db, user, training_id))


@post("/trainings/{training_id:str}/select", sync_to_thread=True)
@shows_personal_data("household")
def selection_save(request: Request, db: Session, user: User, training_id: str, data: Form) -> Template | Redirect:
    training = training_in_area(db, user, training_id)
    enrollments = {e.household_id: e for e in training_enrollments(db, training_id=training.id)}
    if text_value(data, "seq") is not None and str(_selection_version(list(enrollments.values()))) != text_value(data, "seq"):
        return _selection_page(db, user, training, notice=stale_notice(), status_code=409)
    households = {h.id: h for h in village_households(db, village_id=training.village_id)}
    selected = {i for i in as_list(data, "selected") if i in households}
    reasons = {k.removeprefix("reason_"): (text_value(data, k) or "") for k in data if k.startswith("reason_")}
    form = FormState(values={**{k: v for k, v in data.items() if k.startswith("reason_")},
                             "selected": list(selected), "seq": text_value(data, "seq") or ""})
    form.add(check_selection(rank_candidates(list(households.values())), selected, reasons,
                             limit=households_per_village(db)))
    for household_id in sorted(set(as_list(data, "selected")) - selected):
        # Not on this village's list: what the village rule, met every way in, says of it (an id of no
        # household at all is ignored).
        values = {"training_id": training.id, "household_id": household_id, "status": "selected"}
        for error in problems(db, "enrollment", values, record_id=""):
            if error.field == "household_id":
                form.error("selected", error.message(current_locale.get()))
    for household_id, reason in reasons.items():
        form.add(check_text(f"reason_{household_id}", reason or None, max_length=500))
    if not form.ok:
        return _selection_page(db, user, training, form=form, status_code=422)
    # Withdrawals first, then selections from the poorest up: each enrollment is checked again as it is
    # saved (under the lock, as a phone's would be), and in this order every step meets the same rules
    # as the whole selection checked above.
    ranked = rank_candidates(list(households.values()))
    steps = [(h, {"status": "withdrawn"}) for h in ranked
             if h.id not in selected and h.id in enrollments and enrollments[h.id].status == "selected"]
    steps += [(h, {"status": "selected", "reason": reasons.get(h.id, "").strip() or None})
              for h in ranked if h.id in selected]
    for household, values in steps:
        enrollment = enrollments.get(household.id)
        if enrollment is None:
            enrollment = Enrollment()
            values.update(training_id=training.id, household_id=household.id, occupation=training.occupation)
        try:
            save_synced(db, enrollment, entity="enrollment", values=values, user=user,
                        expected_seq=None if household.id not in enrollments else enrollments[household.id].seq)
        except Stale:
            return _selection_page(db, user, training, notice=stale_notice(), status_code=409)
        except Refused as refused:  # the village changed since the check above (a phone's push)
            for error in refused.errors:
                form.errors.setdefault(f"reason_{household.id}" if error.field == "reason" else "selected",
                                       error.message(current_locale.get()))
            return _selection_page(db, user, training, form=form, status_code=422)
    db.commit()
    return Redirect(path=f"/trainings/{training.id}")


# --- funding ---------------------------------------------------------------------------------------

@post("/trainings/{training_id:str}/funding", sync_to_thread=True)
def training_funding_add(db: Session, user: User, training_id: str, data: Form) -> Template | Redirect:
    return _training_funding(db, user, training_id, data, request_id=None)


@post("/trainings/{training_id:str}/funding/{request_id:int}", sync_to_thread=True)
def training_funding_update(db: Session, user: User, training_id: str, request_id: int,
                            data: Form) -> Template | Redirect:
    return _training_funding(db, user, training_id, data, request_id=request_id)


def _training_funding(db: Session, user: User, training_id: str, data: Form, *,
                      request_id: int | None) -> Template | Redirect:
    training = training_in_area(db, user, training_id)
    return funding_forms.save_funding_request(db, user, data, owner={"training_id": training.id},
                                              request_id=request_id,
                                              page_again=functools.partial(_training_page, db, user, training),
                                              back=f"/trainings/{training.id}")


# --- the attendance register --------------------------------------------------------------------

@get("/trainings/{training_id:str}/register", sync_to_thread=True)
@shows_personal_data("household")
def register_page(request: Request, db: Session, user: User, training_id: str) -> Template:
    """Households × days: present or absent, the officer's note, who marked it from which phone."""
    training = training_in_area(db, user, training_id)
    return render("register.html", user=user, training=training, village=db.get(Village, training.village_id),
                  register=attendance_register(db, training), occupation_names=occupation_names(db),
                  signed_off=signed_off_rounds(db, [training.id]).get(training.id))


@get("/trainings/{training_id:str}/register/{day:int}", sync_to_thread=True)
@shows_personal_data("household")
def register_day(request: Request, db: Session, user: User, training_id: str, day: int) -> Template:
    """One training day, a row per household: the mark, the note, who and which phone, its open requests
    and "needs fix" on each mark."""
    training = training_in_area(db, user, training_id)
    book = attendance_register(db, training)
    session = next((s for s in book.sessions if s.day == day), None)
    if session is None:
        raise NotFoundInArea()
    marks = [(h, book.mark(h.id, session.id)) for h in book.households]
    fix = needs_fix.for_records(db, user, [("attendance", m.attendance.id) for _h, m in marks if m],
                                back=f"/trainings/{training.id}/register/{day}")
    return render("register_day.html", user=user, training=training, village=db.get(Village, training.village_id),
                  session=session, marks=marks, register=book, fix=fix, occupation_names=occupation_names(db),
                  kind_labels=session_kind_labels(), done=request.query_params.get("done"),
                  signed_off=signed_off_rounds(db, [training.id]).get(training.id))


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[signed_in], route_handlers=[training_list, training_new, training_create, training_page,
                                                         training_update, session_update, selection_page,
                                                         selection_save, training_funding_add, training_funding_update,
                                                         register_page, register_day]),
]
