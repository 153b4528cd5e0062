"""Review pages: the conflict queue, "needs fix" tasks, a record's review, data quality, the audit log.

Supervisors see their district, administrators everything; officers see the tasks of their area.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.response import Redirect, Response, Template
from sqlmodel import Session

from server.auth.access import NotFoundInArea
from server.core.dates import thai_today
from server.core.i18n import gettext_
from server.core.numbers import parse_int
from server.models import District, User
from server.models.review import REVIEW_ENTITIES, TASK_STATUSES
from server.review import conflicts as queue
from server.review import tasks as review_tasks
from server.review.quality import rule_titles
from server.review.record_words import RecordWords
from server.review.reviewed_records import (
    describe,
    entity_label,
    reviewable_record,
    survey_kind_label,
)
from server.synced.specs import REGISTRY
from server.synced.write import Refused, Stale
from server.web.audited import shows_personal_data
from server.web.forms import Form, as_list, text_value
from server.web.guards import reviewers, signed_in
from server.web.templates import render

REVIEWERS = ("supervisor", "admin")


def _messages() -> dict[str, str]:
    return {
        "resolved": gettext_("The conflict is resolved; phones receive the value at their next sync."),
        "raced": gettext_("A phone changed this field after you opened the page: your choice and the newer "
                          "value are in the queue again."),
        "task_opened": gettext_("The task is on its way to the phones of this village."),
        "task_closed": gettext_("The task is closed."),
        "task_reopened": gettext_("The task is open again and goes back to the phones."),
        "merged": gettext_("The households are merged; phones receive the change at their next sync."),
        "stale": gettext_("The task changed after you opened the page (a phone sent it back): look again "
                          "before acting."),
    }


def _message(code: str | None) -> str | None:
    return _messages().get(code or "")


def _page_number(request: Request) -> int:
    return max(1, parse_int(request.query_params.get("page")) or 1)


# --- home and navigation -------------------------------------------------------------------------

@get("/review/nav-count", sync_to_thread=True)
def nav_count(db: Session, user: User) -> Template:
    """The number beside "Review" in the menu: open conflicts and tasks waiting for this user."""
    task_counts = review_tasks.counts(db, user)
    if user.role in REVIEWERS:
        waiting = queue.count_open(db, user) + task_counts["fixed"]
    else:
        waiting = task_counts["open"]
    return render("_review_nav_count.html", user=user, waiting=waiting)


@get("/review", sync_to_thread=True)
def review_home(db: Session, user: User) -> Template:
    task_counts = review_tasks.counts(db, user)
    open_conflicts = queue.count_open(db, user) if user.role in REVIEWERS else 0
    return render("review_home.html", user=user, task_counts=task_counts, open_conflicts=open_conflicts,
                  reviewer=user.role in REVIEWERS)


# --- the conflict queue ----------------------------------------------------------------------------

def _queue_page(request: Request, db: Session, user: User, *, notice: str | None = None,
                errors: list[str] | None = None, status_code: int = 200) -> Template:
    filters, problems = queue.Filters.read(request.query_params)
    as_of = queue.counter_now(db)
    rows, total = queue.conflict_page(db, user, filters, _page_number(request))
    pages = max(1, -(-total // queue.PAGE_SIZE))
    keep = urlencode(filters.query())
    return render("review_conflicts.html", user=user, rows=rows, total=total, filters=filters,
                  problems=problems + (errors or []), notice=notice or _message(request.query_params.get("done")),
                  as_of=as_of, page=min(_page_number(request), pages), pages=pages,
                  page_link=f"/review/conflicts?{keep + '&' if keep else ''}page=", query=keep,
                  entity_label=entity_label, status_code=status_code)


@get("/review/conflicts", sync_to_thread=True)
def conflict_queue(request: Request, db: Session, user: User) -> Template:
    return _queue_page(request, db, user)


@post("/review/conflicts/{conflict_id:str}/resolve", sync_to_thread=True)
def conflict_resolve(request: Request, db: Session, user: User, conflict_id: str, data: Form) -> Template | Redirect:
    as_of = parse_int(text_value(data, "as_of"))
    choice = text_value(data, "choice") or ""
    if as_of is None or as_of < 0:
        db.rollback()
        return _queue_page(request, db, user, errors=[gettext_("The page was incomplete; open the queue again.")],
                           status_code=400)
    try:
        outcome = queue.resolve(db, user, conflict_id, choice=choice, typed=text_value(data, "value"), as_of=as_of)
    except queue.AlreadyResolved as done:
        db.rollback()
        return _queue_page(request, db, user, errors=[queue.already_message(done.by, done.at)], status_code=409)
    except queue.ResolutionRefused as refused:
        db.rollback()
        return _queue_page(request, db, user, errors=refused.messages, status_code=422)
    db.commit()
    back = text_value(data, "back") or ""
    done = "raced" if outcome.raced else "resolved"
    return Redirect(path=f"/review/conflicts?{back + '&' if _safe_query(back) else ''}done={done}")


def _safe_query(query: str) -> bool:
    return bool(query) and all(ch.isalnum() or ch in "=&-_%" for ch in query)


@get("/review/conflicts/bulk", sync_to_thread=True)
def conflict_bulk_preview(request: Request, db: Session, user: User) -> Template:
    """What settling every open conflict of one phone or one training day would do, before doing it."""
    filters, problems = queue.Filters.read(request.query_params)
    choice = request.query_params.get("choice") or "other"
    if choice not in ("kept", "other"):
        problems.append(gettext_("Choose which value to keep."))
        choice = "other"
    if not (filters.device or filters.session):
        problems.append(gettext_("Choose a phone or a training day to settle its conflicts together."))
        rows = []
    else:
        filters.status = "open"
        rows, _total = queue.conflict_page(db, user, filters, 1)
    return render("review_bulk.html", user=user, rows=rows, filters=filters, choice=choice, problems=problems,
                  as_of=queue.counter_now(db), entity_label=entity_label, query=urlencode(filters.query()))


@post("/review/conflicts/bulk", sync_to_thread=True)
def conflict_bulk_settle(request: Request, db: Session, user: User, data: Form) -> Template | Redirect:
    choice = text_value(data, "choice") or ""
    as_of = parse_int(text_value(data, "as_of"))
    ids = as_list(data, "conflict")
    if choice not in ("kept", "other") or as_of is None or as_of < 0 or not ids:
        db.rollback()
        return _queue_page(request, db, user, errors=[gettext_("Nothing was settled: the preview was incomplete.")],
                           status_code=400)
    if len(queue.conflicts_by_ids(db, user, ids)) != len(set(ids)):
        raise NotFoundInArea()
    try:
        outcome = queue.resolve_many(db, user, ids, choice=choice, as_of=as_of)
    except queue.ResolutionRefused as refused:
        db.rollback()
        return _queue_page(request, db, user, errors=refused.messages, status_code=422)
    db.commit()
    notice = gettext_("{n} conflicts settled.").format(n=outcome.settled)
    return _queue_page(request, db, user, notice=notice, errors=outcome.already)


# --- a record under review ---------------------------------------------------------------------

def _record_page(db: Session, user: User, entity: str, record_id: str, *, notice: str | None = None,
                 note_error: str | None = None, note: str = "", status_code: int = 200) -> Template:
    record = reviewable_record(db, user, entity, record_id)
    spec = REGISTRY.entities[entity]
    fields = RecordWords(db, user).fields(entity, {name: getattr(record, name) for name in spec.kinds})
    place = describe(db, [(entity, record_id)]).get((entity, record_id))
    open_conflicts = queue.rows_for(db, queue.open_conflicts_of_record(db, user, entity, record_id), user)
    return render("review_record.html", user=user, entity=entity, record=record, fields=fields,
                  label=entity_label(entity), place=place, tasks=review_tasks.tasks_of_record(db, entity, record_id),
                  conflicts=open_conflicts, as_of=queue.counter_now(db), notice=notice, note_error=note_error,
                  note=note, reviewer=user.role in REVIEWERS, kind_label=survey_kind_label, entity_label=entity_label,
                  query="", status_code=status_code)


def _entity(entity: str) -> str:
    if entity not in REVIEW_ENTITIES:
        raise NotFoundInArea()
    return entity


@get("/review/records/{entity:str}/{record_id:str}", sync_to_thread=True)
def record_review(request: Request, db: Session, user: User, entity: str, record_id: str) -> Template:
    return _record_page(db, user, _entity(entity), record_id, notice=_message(request.query_params.get("done")))


@post("/review/records/{entity:str}/{record_id:str}/tasks", sync_to_thread=True)
def task_create(db: Session, user: User, entity: str, record_id: str, data: Form) -> Template | Redirect:
    entity = _entity(entity)
    note = text_value(data, "note") or ""
    try:
        review_tasks.open_task(db, user, entity=entity, record_id=record_id, note=note)
    except Refused as refused:
        message = next((e.message(_locale()) for e in refused.errors), gettext_("Write what needs fixing."))
        return _record_page(db, user, entity, record_id, note_error=message, note=note, status_code=422)
    db.commit()
    back = text_value(data, "back") or ""
    if _safe_path(back):  # sent from the page that shows the record: back to it
        return Redirect(path=f"{back}{'&' if '?' in back else '?'}done=task_opened#needs-fix-{record_id}")
    return Redirect(path=f"/review/records/{entity}/{record_id}?done=task_opened")


def _safe_path(path: str) -> bool:
    """A path of this site (no scheme, no host, no way out of it)."""
    return (path.startswith("/") and not path.startswith("//") and "\\" not in path and len(path) < 300
            and all(ch.isalnum() or ch in "/-_?=&.%" for ch in path))


def _locale() -> str:
    from server.core.i18n import current_locale

    return current_locale.get()


# --- tasks -----------------------------------------------------------------------------------------

@get("/review/tasks", sync_to_thread=True)
def task_list(request: Request, db: Session, user: User) -> Template:
    status = request.query_params.get("status") or ("fixed" if user.role in REVIEWERS else "open")
    problems = []
    if status not in (*TASK_STATUSES, "all"):
        problems.append(gettext_("Unknown status: showing open tasks."))
        status = "open"
    rows, total = review_tasks.task_page(db, user, None if status == "all" else status, _page_number(request))
    pages = max(1, -(-total // review_tasks.PAGE_SIZE))
    return render("review_tasks.html", user=user, rows=rows, total=total, status=status, problems=problems,
                  counts=review_tasks.counts(db, user), page=min(_page_number(request), pages), pages=pages,
                  page_link=f"/review/tasks?status={status}&page=", entity_label=entity_label,
                  reviewer=user.role in REVIEWERS, notice=_message(request.query_params.get("done")))


def _task_action(db: Session, user: User, task_id: str, data: Form, action: str) -> Redirect | Response:
    task = review_tasks.task_in_area(db, user, task_id)
    expected = parse_int(text_value(data, "seq"))
    try:
        if action == "close":
            review_tasks.close_task(db, user, task, expected_seq=expected)
        else:
            review_tasks.reopen_task(db, user, task, note=text_value(data, "note"), expected_seq=expected)
    except Stale:
        return Redirect(path="/review/tasks?status=all&done=stale", status_code=303)
    except Refused:
        db.rollback()
        return Redirect(path="/review/tasks?status=all", status_code=303)
    db.commit()
    return Redirect(path=f"/review/tasks?status=all&done=task_{'closed' if action == 'close' else 'reopened'}",
                    status_code=303)


@post("/review/tasks/{task_id:str}/close", sync_to_thread=True)
def task_close(db: Session, user: User, task_id: str, data: Form) -> Redirect | Response:
    return _task_action(db, user, task_id, data, "close")


@post("/review/tasks/{task_id:str}/reopen", sync_to_thread=True)
def task_reopen(db: Session, user: User, task_id: str, data: Form) -> Redirect | Response:
    return _task_action(db, user, task_id, data, "reopen")


# --- data quality ----------------------------------------------------------------------------------


@dataclass
class QualityArea:
    """The villages a quality check reads: a supervisor's district, or the district an admin chose."""

    villages: set[str] | None
    district: str = ""
    error: str | None = None
    typed: str = ""  # what the admin typed, shown again beside the error

    @property
    def query(self) -> str:
        return f"?district={self.district}" if self.district else ""


def _quality_area(db: Session, user: User, request: Request) -> QualityArea:
    """The checks read every household of their area in Python (names compared, incomes ranked), so an
    admin runs them one district at a time rather than over the whole country."""
    from server.auth.areas import area_village_ids, district_village_ids

    if user.role != "admin":
        return QualityArea(area_village_ids(db, user))
    code = (request.query_params.get("district") or "").strip()
    if not code:
        return QualityArea(None)
    if not (len(code) == 4 and code.isdigit() and db.get(District, code) is not None):
        return QualityArea(None, error=gettext_("There is no district with this code: type its 4 digits, e.g. 3414."),
                           typed=code)
    return QualityArea(district_village_ids(db, code), code)


@get("/review/quality", sync_to_thread=True)
def quality_summary(request: Request, db: Session, user: User) -> Template:
    from server.review import quality

    area, today = _quality_area(db, user, request), _today()
    counts = ({name: len(rule(db, area.villages, today)) for name, rule in quality.RULES.items()}
              if area.villages is not None else None)
    return render("review_quality.html", user=user, counts=counts, titles=rule_titles(), rule=None, area=area,
                  status_code=400 if area.error else 200)


@get("/review/quality/{rule:str}", sync_to_thread=True)
def quality_rule(request: Request, db: Session, user: User, rule: str) -> Template | Redirect:
    from server.review import quality
    from server.review.reviewed_records import describe

    if rule not in quality.RULES:
        raise NotFoundInArea()
    area = _quality_area(db, user, request)
    if area.villages is None:  # an admin who has not chosen a district yet
        return Redirect(path="/review/quality")
    findings = quality.RULES[rule](db, area.villages, _today())
    described = describe(db, [(f.entity, f.record_id) for f in findings if f.entity])
    groups: dict[str, list[Any]] = {}
    for finding in findings:
        if finding.group:
            groups.setdefault(finding.group, []).append(finding)
    record_words = RecordWords(db, user)
    record_words.record_names([("training", f.facts.get("training_id")) for f in findings])
    return render("review_quality.html", user=user, rule=rule, titles=rule_titles(), findings=findings,
                  described=described, groups=groups, entity_label=entity_label, kind_label=survey_kind_label,
                  area=area, record_words=record_words)


def _today():


    return thai_today()


# --- merging duplicate households ------------------------------------------------------------------

@get("/review/merge", sync_to_thread=True)
def merge_preview(request: Request, db: Session, user: User) -> Template:
    from server.review import merge

    keep, drop = request.query_params.get("keep") or "", request.query_params.get("drop") or ""
    try:
        merge_plan = merge.plan(db, user, keep, drop)
    except queue.ResolutionRefused:
        raise NotFoundInArea() from None
    return render("review_merge.html", user=user, plan=merge_plan, as_of=queue.counter_now(db))


@post("/review/merge", sync_to_thread=True)
def merge_households(db: Session, user: User, data: Form) -> Template | Redirect:
    from server.review import merge

    keep, drop = text_value(data, "keep") or "", text_value(data, "drop") or ""
    as_of = parse_int(text_value(data, "as_of"))
    if as_of is None or as_of < 0:
        raise NotFoundInArea()
    try:
        merge.merge(db, user, keep, drop, as_of=as_of)
    except merge.ChangedSincePreview:
        merge_plan = merge.plan(db, user, keep, drop)
        return render("review_merge.html", user=user, plan=merge_plan, as_of=queue.counter_now(db), status_code=409,
                      problems=[gettext_("One of the households changed after the preview: look again, then merge.")])
    except queue.ResolutionRefused as refused:
        db.rollback()
        merge_plan = merge.plan(db, user, keep, drop)
        return render("review_merge.html", user=user, plan=merge_plan, as_of=queue.counter_now(db), status_code=422,
                      problems=refused.messages or [gettext_("These two records cannot be merged.")])
    db.commit()
    return Redirect(path=f"/review/records/household/{keep}?done=merged")


# --- the audit log of the area ---------------------------------------------------------------------

@get("/review/audit", sync_to_thread=True)
@shows_personal_data("household")
def area_audit(request: Request, db: Session, user: User) -> Template | Response:
    """The audit log limited to the supervisor's area, filterable, and exportable to CSV."""
    import csv
    import io

    from server.audit import viewer as audit_view
    from server.audit.log import audit
    from server.audit.words import action_words, in_words
    from server.core.dates import format_datetime
    from server.core.i18n import current_locale
    from server.reports.export_cells import csv_row

    words = action_words()
    codes = audit_view.logged_actions(db)
    filters, problems = audit_view.read_filters(request.query_params, codes)
    if request.query_params.get("format") == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel reads UTF-8 Thai only with a byte-order mark
        writer = csv.writer(buffer)
        writer.writerow(csv_row([gettext_("When"), gettext_("User"), gettext_("Phone"), gettext_("Action"),
                                 gettext_("Record"), gettext_("Record id"), gettext_("Details")]))
        count = 0
        for entry, who, device in audit_view.entries_to_export(db, user=user, filters=filters):
            said = in_words(entry.action, entry.entity, entry.detail)
            details = "; ".join([f"{f}: {a} → {b}" for f, a, b in said.changes] + [f"{k}: {v}" for k, v in said.details])
            writer.writerow(csv_row([format_datetime(entry.at, current_locale.get()), who.username if who else "",
                                     device.name if device else "", said.action, said.record, entry.record_id or "",
                                     details]))
            count += 1
        audit(db, action="export", entity="audit_log", user_id=user.id,
              detail={"rows": count, "format": "csv", **filters.query()})
        db.commit()
        return Response(content=buffer.getvalue().encode("utf-8"), media_type="text/csv",  # Litestar adds the charset
                        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})
    page, found = audit_view.entry_page(db, user=user, filters=filters, page=request.query_params.get("page"))
    record_words = RecordWords(db, user)
    record_names = record_words.record_names([(entry.entity, entry.record_id) for entry, _who, _device in found])
    rows = [(entry, who, device, in_words(entry.action, entry.entity, entry.detail, record_words))
            for entry, who, device in found]
    return render("review_audit.html", user=user, rows=rows, filters=filters, problems=problems,
                  record_names=record_names,
                  actions=[(code, words.get(code, code)) for code in codes], query=urlencode(filters.query()),
                  **page.context("/review/audit", filters.query()))


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[signed_in], route_handlers=[nav_count, review_home, task_list]),
    Router(path="/", guards=[reviewers], route_handlers=[
        conflict_queue, conflict_resolve, conflict_bulk_preview, conflict_bulk_settle, record_review, task_create,
        task_close, task_reopen, quality_summary, quality_rule, merge_preview, merge_households, area_audit]),
]
