""""Needs fix" tasks from the office side: open one on a record, list them, close or reopen them.

Every write goes through `server.synced.write.save_synced` (lock, stale check, rules, stamp, audit), so
phones pull each change; what a phone may do to a task is in `server.review.task_rules`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from server.auth.access import NotFoundInArea
from server.auth.areas import area_village_ids
from server.core.dates import utc_now
from server.models import Device, User
from server.models.review import TASK_STATUSES, ReviewTask
from server.review.reviewed_records import (
    Described,
    describe,
    is_record_id,
    reviewable_record,
    village_of_record,
)
from server.synced.write import save_synced

PAGE_SIZE = 50


def open_task(db: Session, user: User, *, entity: str, record_id: str, note: str) -> ReviewTask:
    """A new open task on a record of the user's area (404 outside it); the caller commits.

    Raises `server.synced.write.Refused` when the note is missing or too long.
    """
    reviewable_record(db, user, entity, record_id)
    place = village_of_record(db, entity, record_id)
    task = ReviewTask(record_entity=entity, record_id=record_id, note=note, village_id=place[0] if place else None,
                      created_by_user_id=user.id)
    save_synced(db, task, entity="review_task",
                values={"record_entity": entity, "record_id": record_id, "note": note, "status": "open"}, user=user)
    return task


def task_in_area(db: Session, user: User, task_id: str) -> ReviewTask:
    task = db.get(ReviewTask, task_id) if is_record_id(task_id) else None
    if task is None or task.deleted:
        raise NotFoundInArea()
    area = area_village_ids(db, user)
    if area is not None and task.village_id not in area:
        raise NotFoundInArea()
    return task


def close_task(db: Session, user: User, task: ReviewTask, *, expected_seq: int | None) -> None:
    """Close a task (checked and done); `server.synced.write.Stale` when it changed since the page was drawn."""
    save_synced(db, task, entity="review_task", values={"status": "closed"}, user=user, expected_seq=expected_seq,
                audit_action="close_task")
    task.closed_by_user_id = user.id
    task.closed_at = utc_now()
    db.add(task)
    db.flush()


def reopen_task(db: Session, user: User, task: ReviewTask, *, note: str | None, expected_seq: int | None) -> None:
    """Send a task back to the field (the fix was not right), with a new note if one is given."""
    values: dict[str, Any] = {"status": "open"}
    if note:
        values["note"] = note
    save_synced(db, task, entity="review_task", values=values, user=user, expected_seq=expected_seq,
                audit_action="reopen_task")
    task.closed_by_user_id = None
    task.closed_at = None
    db.add(task)
    db.flush()


@dataclass
class TaskRow:
    task: ReviewTask
    record: Described | None
    created_by: str
    fixed_by: str
    fixed_on_phone: str


def _conditions(db: Session, user: User, status: str | None) -> list[Any]:
    conditions: list[Any] = [ReviewTask.deleted == False]  # noqa: E712
    area = area_village_ids(db, user)
    if area is not None:
        conditions.append(ReviewTask.village_id.in_(area or {""}))
    if status:
        conditions.append(ReviewTask.status == status)
    return conditions


def counts(db: Session, user: User) -> dict[str, int]:
    """Tasks of the user's area by status (every status present, 0 when none)."""
    found = dict(db.exec(select(ReviewTask.status, func.count()).where(*_conditions(db, user, None))
                         .group_by(ReviewTask.status)).all())
    return {status: found.get(status, 0) for status in TASK_STATUSES}


def task_page(db: Session, user: User, status: str | None, page: int) -> tuple[list[TaskRow], int]:
    conditions = _conditions(db, user, status)
    total = db.exec(select(func.count()).select_from(ReviewTask).where(*conditions)).one()
    tasks = list(db.exec(select(ReviewTask).where(*conditions).order_by(ReviewTask.updated_at.desc(), ReviewTask.id)
                         .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all())
    return rows_for(db, tasks), total


def tasks_of_record(db: Session, entity: str, record_id: str) -> list[TaskRow]:
    tasks = list(db.exec(select(ReviewTask).where(ReviewTask.record_entity == entity,
                                                  ReviewTask.record_id == record_id,
                                                  ReviewTask.deleted == False)  # noqa: E712
                         .order_by(ReviewTask.created_at)).all())
    return rows_for(db, tasks)


def rows_for(db: Session, tasks: list[ReviewTask]) -> list[TaskRow]:
    if not tasks:
        return []
    described = describe(db, [(t.record_entity, t.record_id) for t in tasks])
    fixers = {t.id: (t.field_versions or {}).get("fixed_note") or {} for t in tasks}
    user_ids = {t.created_by_user_id for t in tasks} | {v.get("user") for v in fixers.values()}
    users = dict(db.exec(select(User.id, User.display_name).where(User.id.in_(user_ids - {None}))).all())
    device_ids = {v.get("device") for v in fixers.values()} - {None}
    devices = dict(db.exec(select(Device.id, Device.name).where(Device.id.in_(device_ids))).all())
    return [TaskRow(task=t, record=described.get((t.record_entity, t.record_id)),
                    created_by=users.get(t.created_by_user_id, ""),
                    fixed_by=users.get(fixers[t.id].get("user"), "") if t.fixed_note else "",
                    fixed_on_phone=devices.get(fixers[t.id].get("device"), "") if t.fixed_note else "")
            for t in tasks]
