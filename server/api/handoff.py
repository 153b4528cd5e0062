"""A hand-off file: the unsent captures a phone saved for its officer, handed in at the office.

The file (written by the phone's outbox page) names its officer and the phone it came from and holds
that officer's pending and rejected ops. Handed in, it is read within bounds (size, JSON depth, a
fixed shape), checked against who hands it in (the officer, or a supervisor or admin whose area
covers the officer's), and its ops are pushed as the officer from that phone, through the one push
path, within the officer's area: each `op_id` once, so a file handed in twice, or after the phone
synced after all, changes nothing more.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct
from sqlmodel import Session

from server.api.json_body import json_too_deep
from server.api.schemas import PushOp
from server.audit.log import audit
from server.auth.areas import area_village_ids, managed_user_ids
from server.core.i18n import gettext_
from server.models import Device, User
from server.synced.apply import apply_ops
from sync.push import MAX_BYTES, MAX_OPS, Actor, Op

FORMAT = "sammachip-handoff"
VERSION = 1
MAX_FILE_BYTES = MAX_BYTES  # a push's own limit: the file holds what one phone could push


class HandoffUser(Struct, forbid_unknown_fields=False):
    id: int
    username: Annotated[str, Meta(max_length=200)]


class HandoffFile(Struct, forbid_unknown_fields=False):
    """What the phone writes (pwa/js/handoff.js)."""

    format: Literal["sammachip-handoff"]
    version: int
    user: HandoffUser
    device_id: Annotated[str, Meta(max_length=64)] | None
    ops: Annotated[list[PushOp], Meta(max_length=MAX_OPS * 10)]


class HandoffRefused(Exception):
    """A file that is not handed in: `status` the HTTP answer, the message in the reader's words."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class HandoffOutcome:
    officer: User
    counts: dict[str, int] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def read_handoff(content: bytes) -> HandoffFile:
    """The file's content within bounds, or HandoffRefused (413 too large, 400 too deep or malformed)."""
    if len(content) > MAX_FILE_BYTES:
        raise HandoffRefused(413, gettext_("The file is larger than {size} MB: it is not a hand-off file of this app.")
                             .format(size=MAX_FILE_BYTES // (1024 * 1024)))
    if json_too_deep(content):
        raise HandoffRefused(400, gettext_("The file is not a hand-off file of this app (nested too deep)."))
    try:
        parsed = msgspec.json.decode(content, type=HandoffFile)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise HandoffRefused(400, gettext_("The file is not a hand-off file of this app.")) from None
    if parsed.version != VERSION:
        raise HandoffRefused(400, gettext_("The file was saved by another version of the app: update the phone "
                                           "and save it again."))
    return parsed


def may_hand_in(db: Session, uploader: User, officer: User) -> bool:
    """The officer themselves, an admin, or a supervisor of the officer's district whose area covers
    every village of the officer's."""
    if uploader.id == officer.id or uploader.role == "admin":
        return True
    if uploader.role != "supervisor":
        return False
    managed = managed_user_ids(db, uploader)
    if managed is not None and officer.id not in managed:
        return False
    theirs, mine = area_village_ids(db, officer), area_village_ids(db, uploader)
    return theirs is not None and mine is not None and theirs <= mine


def hand_in(db: Session, uploader: User, handoff: HandoffFile, *, file_name: str = "") -> HandoffOutcome:
    """Push the file's ops as its officer from its phone (SYNC.md, Push), and audit who handed it in.
    The caller commits."""
    officer = db.get(User, handoff.user.id)
    if officer is None or officer.username != handoff.user.username or not officer.active:
        raise HandoffRefused(422, gettext_("The file's officer is not a user of this server."))
    if not may_hand_in(db, uploader, officer):
        raise HandoffRefused(403, gettext_("Only the officer who saved the file, or a supervisor whose area "
                                           "covers theirs, may hand it in."))
    device = db.get(Device, handoff.device_id) if handoff.device_id else None
    if handoff.device_id and (device is None or device.user_id != officer.id):
        raise HandoffRefused(422, gettext_("The file's phone is not one of its officer's."))
    area = area_village_ids(db, officer)
    actor = Actor(user_id=officer.id, device_id=device.id if device else None, area=area)
    ops = [Op(op_id=o.op_id, entity=o.entity, id=o.id, action=o.action, base_seq=o.base_seq,
              captured_at=o.captured_at, fields=o.fields) for o in handoff.ops]
    outcome = HandoffOutcome(officer=officer, counts={"applied": 0, "duplicate": 0, "conflict": 0, "rejected": 0})
    for start in range(0, len(ops), MAX_OPS):
        for result in apply_ops(db, actor, ops[start:start + MAX_OPS]).results:
            status = result.get("status", "rejected")
            outcome.counts[status] = outcome.counts.get(status, 0) + 1
            if status == "rejected":
                outcome.rejected.append(result)
    audit(db, action="hand_in_captures", user_id=uploader.id, entity="device",
          record_id=device.id if device else None, device_id=device.id if device else None,
          detail={"officer_user_id": officer.id, "file": file_name[:120], "ops": len(ops), **outcome.counts})
    return outcome
