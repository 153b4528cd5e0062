"""Merging two records of one household: one survives, the other's enrollments, attendance and surveys
move to it, and the other becomes a tombstone — all as one server-side push, so phones converge.

A moved record is created again on the surviving household (its natural key names that household) and
the old one is deleted. Where the survivor already has a record with the same natural key (both were
marked on the same training day), the engine merges the two as it merges two phones: differing values
become open conflicts for the supervisor, nothing is lost.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from server.audit.log import audit
from server.auth.areas import area_village_ids
from server.models import Attendance, Enrollment, GroupMember, Household, OccupationGroup, Survey, User
from server.synced.write import save_synced
from server.review.conflicts import ResolutionRefused
from server.review.reviewed_records import reviewable_record
from server.synced.specs import REGISTRY
from sync.changes import lock_counter
from server.synced.apply import apply_ops
from sync.push import Actor, Op
from sync.spec import to_api
from server.core.dates import utc_now

DEPENDENTS = (("enrollment", Enrollment), ("attendance", Attendance), ("survey", Survey))


class ChangedSincePreview(Exception):
    """One of the two households (or what hangs on them) changed after the preview was drawn."""


@dataclass
class MergePlan:
    keep: Household
    drop: Household
    moving: dict[str, list[Any]]  # entity -> records of `drop` that move to `keep`


def plan(db: Session, user: User, keep_id: str, drop_id: str) -> MergePlan:
    """What merging `drop_id` into `keep_id` moves; both households must be in the user's area (404)."""
    keep = reviewable_record(db, user, "household", keep_id)
    drop = reviewable_record(db, user, "household", drop_id)
    if keep.id == drop.id:
        raise ResolutionRefused([])
    moving = {name: list(db.exec(select(model).where(model.household_id == drop.id,
                                                     model.deleted == False)).all())  # noqa: E712
              for name, model in DEPENDENTS}
    return MergePlan(keep=keep, drop=drop, moving=moving)


def merge(db: Session, user: User, keep_id: str, drop_id: str, *, as_of: int) -> dict[str, int]:
    """Merge as previewed at counter `as_of`; the caller commits. Returns how many records moved, by entity."""
    lock_counter(db)
    merge_plan = plan(db, user, keep_id, drop_id)
    for record in [merge_plan.keep, merge_plan.drop, *(r for rs in merge_plan.moving.values() for r in rs)]:
        db.refresh(record)
        if record.seq > as_of or record.deleted:
            db.rollback()
            raise ChangedSincePreview()
    now = utc_now().isoformat()
    ops: list[Op] = []
    for name, records in merge_plan.moving.items():
        kinds = REGISTRY.entities[name].kinds
        for record in records:
            fields = {field: to_api(getattr(record, field)) for field in kinds}
            fields["household_id"] = merge_plan.keep.id
            ops.append(Op(op_id=str(uuid.uuid4()), entity=name, id=str(uuid.uuid4()), action="upsert",
                          base_seq=None, captured_at=now, fields=fields))
    for name, records in merge_plan.moving.items():
        ops += [Op(op_id=str(uuid.uuid4()), entity=name, id=r.id, action="delete", base_seq=r.seq, captured_at=now)
                for r in records]
    ops.append(Op(op_id=str(uuid.uuid4()), entity="household", id=merge_plan.drop.id, action="delete",
                  base_seq=merge_plan.drop.seq, captured_at=now))
    actor = Actor(user_id=user.id, device_id=None, area=area_village_ids(db, user))
    results = apply_ops(db, actor, ops).results
    refused = [r for r in results if r["status"] == "rejected"]
    if refused:
        db.rollback()
        raise ResolutionRefused([e.get("message_en", "") for r in refused for e in r.get("errors", [])])
    _move_group_members(db, user, merge_plan)
    moved = {name: len(records) for name, records in merge_plan.moving.items()}
    audit(db, action="merge_households", entity="household", record_id=merge_plan.keep.id, user_id=user.id,
          detail={"kept": merge_plan.keep.id, "dropped": merge_plan.drop.id, "moved": moved,
                  "conflicts": sum(1 for r in results if r["status"] == "conflict")})
    db.flush()
    return moved


def _move_group_members(db: Session, user: User, merge_plan: MergePlan) -> None:
    """Occupation groups that counted the dropped household count the survivor (their pull carries members)."""
    for member in db.exec(select(GroupMember).where(GroupMember.household_id == merge_plan.drop.id)).all():
        already = db.exec(select(GroupMember).where(GroupMember.group_id == member.group_id,
                                                    GroupMember.household_id == merge_plan.keep.id)).first()
        if already is None:
            member.household_id = merge_plan.keep.id
            db.add(member)
        else:
            db.delete(member)
        group = db.get(OccupationGroup, member.group_id)
        db.flush()
        save_synced(db, group, entity="group", values={}, touch=True, user=user,
                    audit_detail={"member_merged": {"from": merge_plan.drop.id, "into": merge_plan.keep.id}})
