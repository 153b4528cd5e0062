"""The rules of a `review_task` (SYNC.md, Entities) as the sync engine applies them.

Supervisors open, close and reopen tasks on office pages (`server.review.tasks`); a phone may only
mark a task of its area `fixed` with a `fixed_note`, or edit that note. A task whose record is
deleted is closed by the server, in the same transaction as the deletion (`server.synced.apply`).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import tuple_
from sqlmodel import Session, select

from server.models.review import REVIEW_ENTITIES, TASK_STATUSES, ReviewTask
from server.program import field_checks
from server.synced import refusals

PHONE_FIELDS = ("status", "fixed_note")


def check_review_task(values: dict[str, Any]) -> list[field_checks.FieldError]:
    errors = field_checks.check_choice("record_entity", values.get("record_entity"), REVIEW_ENTITIES)
    errors += field_checks.check_reference("record_id", values.get("record_id"))
    errors += field_checks.check_text("note", values.get("note"), max_length=2000, optional=False)
    errors += field_checks.check_choice("status", values.get("status"), TASK_STATUSES)
    errors += field_checks.check_text("fixed_note", values.get("fixed_note"), max_length=2000)
    return errors


def phone_may_change_task(stored: dict[str, Any] | None, action: str,
                          fields: dict[str, Any]) -> list[field_checks.FieldError]:
    """A phone marks a task `fixed` with a note (or edits the note); anything else is `forbidden`."""
    if stored is None or action != "upsert":
        return [refusals.forbidden("id")]
    errors = [refusals.forbidden(name) for name, value in fields.items()
              if name not in PHONE_FIELDS and value != stored.get(name)]
    status = fields.get("status", stored.get("status"))
    if "status" in fields and status != stored.get("status") and status != "fixed":
        errors.append(refusals.forbidden("status"))
    if status == "fixed" and "status" in fields:
        note = fields.get("fixed_note")
        if not (isinstance(note, str) and note.strip()):
            errors.append(field_checks.required("fixed_note"))
    return errors


def tasks_following(session: Session, keys: list[tuple[str, str]]) -> list[tuple[str, Any, str]]:
    """The tasks on these records, to move with them when their household moves village: the new
    area's phones pull them, the old area's drop them with the record."""
    keys = [key for key in keys if key[0] in REVIEW_ENTITIES]
    if not keys:
        return []
    ids = session.exec(select(ReviewTask.id).where(tuple_(ReviewTask.record_entity, ReviewTask.record_id).in_(keys),
                                                   ReviewTask.deleted == False)).all()  # noqa: E712
    return [("review_task", ReviewTask.__table__, task_id) for task_id in ids]

