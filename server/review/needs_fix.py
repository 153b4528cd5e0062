""""Needs fix" where the supervisor looks: the open requests of the records a page shows, and what a
household page lists of its own records (surveys, enrollments) so each can be sent back too."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from server.models import Enrollment, Household, Survey, User
from server.models.review import ReviewTask
from server.review.record_words import RecordWords

REVIEWERS = ("supervisor", "admin")


def open_tasks(db: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], list[ReviewTask]]:
    """{(entity, record id): its requests not closed yet (waiting for the field, or fixed to check)}."""
    found: dict[tuple[str, str], list[ReviewTask]] = {key: [] for key in keys}
    ids = sorted({record_id for _entity, record_id in keys})
    for start in range(0, len(ids), 900):
        for task in db.exec(select(ReviewTask).where(ReviewTask.record_id.in_(ids[start:start + 900]),
                                                     ReviewTask.status.in_(("open", "fixed")),
                                                     ReviewTask.deleted == False)  # noqa: E712
                            .order_by(ReviewTask.created_at)):
            if (task.record_entity, task.record_id) in found:
                found[(task.record_entity, task.record_id)].append(task)
    return found


@dataclass
class NeedsFix:
    """What a page needs to offer "needs fix" on its records: their open requests, whether this user may
    send one, and the page to come back to."""

    tasks: dict[tuple[str, str], list[ReviewTask]]
    may_send: bool
    back: str
    rows: list[tuple[str, Any, list[tuple[str, str]]]] = field(default_factory=list)  # (entity, record, words)

    def of(self, entity: str, record_id: str) -> list[ReviewTask]:
        return self.tasks.get((entity, record_id), [])


def for_records(db: Session, user: User, keys: list[tuple[str, str]], back: str) -> NeedsFix:
    return NeedsFix(tasks=open_tasks(db, keys), may_send=user.role in REVIEWERS, back=back)


def for_household(db: Session, user: User, household: Household) -> NeedsFix:
    """The household, its surveys and its enrollments, each in words with its open requests."""
    surveys = list(db.exec(select(Survey).where(Survey.household_id == household.id, Survey.deleted == False)  # noqa: E712
                           .order_by(Survey.surveyed_on, Survey.kind)).all())
    enrollments = list(db.exec(select(Enrollment).where(Enrollment.household_id == household.id,
                                                        Enrollment.deleted == False)).all())  # noqa: E712
    keys = [("household", household.id)] + [("survey", s.id) for s in surveys] + [("enrollment", e.id) for e in enrollments]
    found = for_records(db, user, keys, back=f"/households/{household.id}/edit")
    words = RecordWords(db, user)
    for entity, records, shown in (("survey", surveys, ("kind", "surveyed_on", "annual_income", "trade_income_month",
                                                       "practising_trade", "note")),
                                   ("enrollment", enrollments, ("training_id", "status", "reason"))):
        for record in records:
            words.learn(entity, {name: getattr(record, name) for name in shown})
            found.rows.append((entity, record, [(words.label(entity, name), words.text(entity, name, getattr(record, name)))
                                                for name in shown]))
    return found
