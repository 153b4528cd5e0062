"""Pushed ops applied through the sync engine with the server's hooks: the one way phones, conflict
decisions and merges change synced records in bulk.

The registry the engine applies ops with carries a hook that writes (closing the review tasks of a
deleted record through `save_synced`); it is assembled here, above the write path, so that the
registry the write path reads holds no hook that leads back to it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import tuple_
from sqlmodel import Session, select

from server.core.dates import utc_now
from server.models import User
from server.models.review import REVIEW_ENTITIES, ReviewTask
from server.synced.specs import REGISTRY
from server.synced.write import save_synced
from sync.push import Actor, Op, PushOutcome, apply_push


def close_tasks_of_deleted(session: Session, deleted: list[tuple[str, str]], next_seqs: Callable[[int], int],
                           user_id: int | None) -> int:
    """Close the tasks still open (or fixed) on records a push just deleted; returns how many."""
    keys = [key for key in deleted if key[0] in REVIEW_ENTITIES]
    if not keys:
        return 0
    tasks = session.exec(select(ReviewTask).where(
        tuple_(ReviewTask.record_entity, ReviewTask.record_id).in_(keys),
        ReviewTask.status != "closed", ReviewTask.deleted == False)).all()  # noqa: E712
    now = utc_now()
    pusher = session.get(User, user_id) if user_id is not None else None
    for task in tasks:
        save_synced(session, task, entity="review_task", user=pusher, seq=next_seqs(1),
                    values={"status": "closed", "closed_at": now, "closed_by_user_id": None},
                    audit_action="close_task", audit_detail={"reason": "record_deleted",
                                                             "record_entity": task.record_entity,
                                                             "record_id": task.record_id})
    session.flush()
    return len(tasks)


PUSH_REGISTRY = replace(REGISTRY, on_deleted=close_tasks_of_deleted)


def apply_ops(session: Session, actor: Actor, ops: list[Op]) -> PushOutcome:
    """Apply `ops` as `actor` pushed them (SYNC.md, Push): one at a time, in order, all or nothing."""
    return apply_push(session, PUSH_REGISTRY, actor, ops)
