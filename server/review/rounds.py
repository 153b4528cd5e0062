"""Signing off a training round: what is still open in it, the sign-off (with a written reason when
something is), the reopening, and which rounds of an area are signed off.

A round is one training: a village's course in a trade of a fiscal year. Its records are locked by
the rule of `server.program.round_locks` once it is signed off. Both the sign-off and the reopening take the
change counter's lock, as every write to synced records does, so no push or office save can slip in
between what the supervisor saw and the lock; both are written to the audit log.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from server.core.dates import utc_now
from server.audit.log import audit
from server.models import (
    Attendance,
    Conflict,
    Enrollment,
    Household,
    Survey,
    Training,
    TrainingSession,
    User,
    Village,
)
from server.core.paging import Page, page_of
from server.models.review import ReviewTask
from server.models.signoff import RoundSignoff
from server.config.values import follow_up_months
from server.review import quality
from server.core.dates import THAI_TIME
from server.program.rules import thai_today
from server.reports.report_area import area_condition
from sync.changes import lock_counter

ROUND_SURVEYS = ("baseline", "after_training")
# Quality rules that speak of a round's own records (the phones' rules speak of phones, not of rounds).
ROUND_RULES = ("duplicate_citizen_ids", "duplicate_house_numbers", "similar_head_names",
               "richer_selected_without_reason", "selected_beyond_target", "sessions_without_attendance",
               "missing_baseline", "implausible_numbers")
REASON_MAX = 1000


class SignoffRefused(Exception):
    """The sign-off or reopening was not done; `message` says why (already done, a reason missing)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class MissingMark:
    household: Household
    session: TrainingSession


@dataclass
class OpenItems:
    """What is still open in a round, each list holding what a supervisor acts on."""

    conflicts: list[Conflict] = field(default_factory=list)
    tasks: list[ReviewTask] = field(default_factory=list)
    findings: list[tuple[str, quality.Finding]] = field(default_factory=list)  # (rule, finding)
    missing_attendance: list[MissingMark] = field(default_factory=list)
    missing_surveys: list[tuple[Household, str]] = field(default_factory=list)  # (household, kind)

    def counts(self) -> dict[str, int]:
        return {"conflicts": len(self.conflicts), "tasks": len(self.tasks), "findings": len(self.findings),
                "missing_attendance": len(self.missing_attendance), "missing_surveys": len(self.missing_surveys)}

    @property
    def clear(self) -> bool:
        return not any(self.counts().values())


def _selected(db: Session, training: Training) -> list[tuple[Enrollment, Household]]:
    return list(db.exec(select(Enrollment, Household).join(Household, Household.id == Enrollment.household_id)
                        .where(Enrollment.training_id == training.id, Enrollment.status == "selected",
                               Enrollment.deleted == False, Household.deleted == False)  # noqa: E712
                        .order_by(Household.house_sort, Household.id)).all())


def _sessions(db: Session, training: Training) -> list[TrainingSession]:
    return list(db.exec(select(TrainingSession).where(TrainingSession.training_id == training.id,
                                                      TrainingSession.deleted == False)  # noqa: E712
                        .order_by(TrainingSession.day)).all())


def round_record_ids(db: Session, training: Training) -> dict[str, set[str]]:
    """The ids of the round's records by entity: its households, enrollments, attendance and surveys."""
    enrollments = list(db.exec(select(Enrollment.id, Enrollment.household_id).where(
        Enrollment.training_id == training.id, Enrollment.deleted == False)).all())  # noqa: E712
    households = {h for _e, h in enrollments}
    sessions = select(TrainingSession.id).where(TrainingSession.training_id == training.id)
    attendance = set(db.exec(select(Attendance.id).where(Attendance.session_id.in_(sessions),
                                                         Attendance.deleted == False)).all())  # noqa: E712
    surveys = set(db.exec(select(Survey.id).where(Survey.household_id.in_(households or {""}),
                                                  Survey.deleted == False)).all()) if households else set()  # noqa: E712
    return {"household": households, "enrollment": {e for e, _h in enrollments}, "attendance": attendance,
            "survey": surveys}


def open_items(db: Session, training: Training, *, today: dt.date | None = None) -> OpenItems:
    """What a supervisor should look at before signing the round off."""
    today = today or thai_today()
    items = OpenItems()
    ids = round_record_ids(db, training)
    on_records = [((Conflict.entity == entity) & Conflict.record_id.in_(found))
                  for entity, found in ids.items() if found]
    if on_records:
        items.conflicts = list(db.exec(select(Conflict).where(Conflict.status == "open", or_(*on_records))
                                       .order_by(Conflict.created_at)).all())
        on_tasks = [((ReviewTask.record_entity == entity) & ReviewTask.record_id.in_(found))
                    for entity, found in ids.items() if found]
        items.tasks = list(db.exec(select(ReviewTask).where(ReviewTask.deleted == False,  # noqa: E712
                                                            ReviewTask.status.in_(("open", "fixed")),
                                                            or_(*on_tasks))
                                   .order_by(ReviewTask.created_at)).all())
    sessions = _sessions(db, training)
    session_ids = {s.id for s in sessions}
    for rule in ROUND_RULES:
        for finding in quality.RULES[rule](db, {training.village_id}, today):
            if ((finding.entity in ids and finding.record_id in ids[finding.entity])
                    or finding.record_id in session_ids or finding.facts.get("training_id") == training.id):
                items.findings.append((rule, finding))
    selected = _selected(db, training)
    marked = set(db.exec(select(Attendance.session_id, Attendance.household_id).where(
        Attendance.session_id.in_(session_ids or {""}), Attendance.deleted == False)).all())  # noqa: E712
    for session in sessions:
        if session.date is None or session.date > today:
            continue
        items.missing_attendance += [MissingMark(h, session) for _e, h in selected if (session.id, h.id) not in marked]
    kinds: dict[str, set[str]] = defaultdict(set)
    for household_id, kind in db.exec(select(Survey.household_id, Survey.kind).where(
            Survey.household_id.in_({h.id for _e, h in selected} or {""}), Survey.deleted == False)):  # noqa: E712
        kinds[household_id].add(kind)
    for _e, household in selected:
        items.missing_surveys += [(household, kind) for kind in ROUND_SURVEYS if kind not in kinds[household.id]]
    return items


def locked_kinds(db: Session, training: Training, on: dt.date) -> list[str]:
    """The survey kinds of a round signed off on `on`: baseline, after training, and each follow-up
    already due that day (its months after the training's last day); follow-ups due later stay open."""
    kinds = list(ROUND_SURVEYS)
    last = max((s.date for s in _sessions(db, training) if s.date is not None), default=None)
    if last is not None:
        for months in follow_up_months(db):
            if quality._add_months(last, months) <= on:
                kinds.append(f"follow_up_{months}m")
    return kinds


def signoff_of(db: Session, training_id: str) -> RoundSignoff | None:
    return db.exec(select(RoundSignoff).where(RoundSignoff.training_id == training_id)).first()


def is_signed_off(db: Session, training_id: str) -> bool:
    found = signoff_of(db, training_id)
    return found is not None and found.status == "signed_off"


def sign_off(db: Session, user: User, training: Training, *, reason: str | None,
             today: dt.date | None = None) -> RoundSignoff:
    """Sign the round off (the caller commits). With something still open a written reason is needed.

    Raises `SignoffRefused`: `already` (signed off already), `reason_required`, `reason_too_long`.
    """
    lock_counter(db)
    today = today or thai_today()
    reason = (reason or "").strip() or None
    row = signoff_of(db, training.id)
    if row is not None and row.status == "signed_off":
        raise SignoffRefused("already")
    if reason is not None and len(reason) > REASON_MAX:
        raise SignoffRefused("reason_too_long")
    items = open_items(db, training, today=today)
    if not items.clear and reason is None:
        raise SignoffRefused("reason_required")
    row = row or RoundSignoff(training_id=training.id)
    row.status = "signed_off"
    row.locked_kinds = locked_kinds(db, training, today)
    row.open_items = items.counts()
    row.reason = reason
    row.signed_off_by_user_id = user.id
    row.signed_off_at = utc_now()
    db.add(row)
    db.flush()
    audit(db, action="sign_off", entity="training", record_id=training.id, user_id=user.id,
          detail={"open": items.counts(), "reason": reason, "locked_kinds": row.locked_kinds})
    return row


def reopen(db: Session, user: User, training: Training, *, reason: str | None) -> RoundSignoff:
    """Reopen a signed-off round (the caller commits): its records may change again. A reason is needed.

    Raises `SignoffRefused`: `not_signed_off`, `reason_required`, `reason_too_long`.
    """
    lock_counter(db)
    reason = (reason or "").strip()
    row = signoff_of(db, training.id)
    if row is None or row.status != "signed_off":
        raise SignoffRefused("not_signed_off")
    if not reason:
        raise SignoffRefused("reason_required")
    if len(reason) > REASON_MAX:
        raise SignoffRefused("reason_too_long")
    row.status = "reopened"
    row.reopened_by_user_id = user.id
    row.reopened_at = utc_now()
    row.reopen_reason = reason
    db.add(row)
    db.flush()
    audit(db, action="reopen_round", entity="training", record_id=training.id, user_id=user.id,
          detail={"reason": reason, "signed_off_by": row.signed_off_by_user_id})
    return row


@dataclass
class SignedOff:
    training_id: str
    by: str
    at: dt.datetime | None
    reason: str | None

    @property
    def on(self) -> dt.date | None:
        """The day of the sign-off in Thai time."""
        if self.at is None:
            return None
        at = self.at if self.at.tzinfo else self.at.replace(tzinfo=dt.timezone.utc)
        return at.astimezone(THAI_TIME).date()


def signed_off_rounds(db: Session, training_ids: list[str]) -> dict[str, SignedOff]:
    """{training id: who signed it off and when} for the signed-off ones among `training_ids`."""
    found: dict[str, SignedOff] = {}
    for start in range(0, len(training_ids), 900):
        chunk = training_ids[start:start + 900]
        for row, user in db.exec(select(RoundSignoff, User).outerjoin(User, User.id == RoundSignoff.signed_off_by_user_id)
                                 .where(RoundSignoff.training_id.in_(chunk), RoundSignoff.status == "signed_off")):
            found[row.training_id] = SignedOff(row.training_id, user_display(user), row.signed_off_at, row.reason)
    return found


def user_display(user: User | None) -> str:
    if user is None:
        return ""
    return user.display_name or user.username


def signed_off_count(db: Session, training_ids_query: Any) -> int:
    return db.scalar(select(func.count()).select_from(RoundSignoff).where(
        RoundSignoff.training_id.in_(training_ids_query), RoundSignoff.status == "signed_off")) or 0


@dataclass
class AreaRounds:
    """The training rounds of an area in a fiscal year, with the signed-off ones and who signed them."""

    total: int
    rows: list[tuple[Training, Any, SignedOff | None]]  # (training, village, sign-off) of the signed-off ones

    @property
    def signed(self) -> int:
        return len(self.rows)


def area_rounds(db: Session, area: Any, fiscal_year: int, geocode: str = "", occupation: str | None = None) -> AreaRounds:
    """Rounds of the user's area (`area`, a condition on Village) under a geocode prefix: how many there
    are, counted by the database, and the signed-off ones (a district has a few hundred at most)."""
    from server.models import Village
    from server.reports.report_area import geocode_within

    where = [Training.deleted == False, Training.fiscal_year == fiscal_year, area]  # noqa: E712
    if geocode:
        where.append(geocode_within(Village.code, geocode))
    if occupation:
        where.append(Training.occupation == occupation)
    base = select(Training.id).join(Village, Village.id == Training.village_id).where(*where)
    total = db.scalar(select(func.count()).select_from(base.subquery())) or 0
    found = db.exec(select(Training, Village, RoundSignoff, User).join(Village, Village.id == Training.village_id)
                    .join(RoundSignoff, RoundSignoff.training_id == Training.id)
                    .outerjoin(User, User.id == RoundSignoff.signed_off_by_user_id)
                    .where(*where, RoundSignoff.status == "signed_off")
                    .order_by(Village.code, Training.occupation)).all()
    return AreaRounds(total=total, rows=[(t, v, SignedOff(t.id, user_display(u), s.signed_off_at, s.reason))
                                         for t, v, s, u in found])


def round_page_rows(db: Session, *, user: User, fiscal_year: int, status: str, page: str | None,
                    per_page: int) -> tuple[Page, list[Any]]:
    """One page of the training rounds of the user's area in a fiscal year, (training, village, sign-off,
    who signed it) by village geocode and trade: all of them, or only the signed-off or the open ones."""
    query = (select(Training, Village, RoundSignoff, User).join(Village, Village.id == Training.village_id)
             .outerjoin(RoundSignoff, (RoundSignoff.training_id == Training.id) & (RoundSignoff.status == "signed_off"))
             .outerjoin(User, User.id == RoundSignoff.signed_off_by_user_id)
             .where(Training.deleted == False, Training.fiscal_year == fiscal_year,  # noqa: E712
                    area_condition(db, user)))
    if status == "signed_off":
        query = query.where(RoundSignoff.id.is_not(None))
    elif status == "open":
        query = query.where(RoundSignoff.id.is_(None))
    found = page_of(db, query, page, per_page)
    return found, list(db.exec(query.order_by(Village.code, Training.occupation, Training.id)
                               .offset(found.offset).limit(found.size)).all())


def round_people(db: Session, *, row: RoundSignoff | None) -> dict[int, User]:
    """{user id: user} of who signed the round off and who reopened it."""
    ids = [i for i in (row.signed_off_by_user_id, row.reopened_by_user_id) if i] if row else [0]
    return {u.id: u for u in db.exec(select(User).where(User.id.in_(ids))).all()}
