"""The conflict queue: values that lost a merge, and their resolution through the sync engine.

A resolution is one op of a server-side push (the supervisor as user, no device) with `base_seq` =
the change counter when the supervisor's page was drawn. So phones pull it like any change, and a
phone's push that lands between the page and the click is merged by the same rules as two phones:
neither value is lost (the later one becomes a new open conflict).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import bindparam, func, or_
from sqlmodel import Session, select

from server.audit.log import audit
from server.auth.access import NotFoundInArea
from server.auth.areas import area_village_ids
from server.core.dates import DateInputError, parse_date, utc_now
from server.core.i18n import current_locale, gettext_
from server.core.numbers import parse_int
from server.models import Attendance, AuditEntry, Conflict, Device, User
from server.review.reviewed_records import Described, describe, is_record_id
from server.synced.apply import apply_ops
from server.synced.specs import REGISTRY
from server.review.record_words import RecordWords, field_label
from sync.changes import current_seq, lock_counter
from sync.push import Actor, Op, clock_skew
from sync.spec import to_api

CHOICES = ("kept", "other", "custom")
PAGE_SIZE = 50


class AlreadyResolved(Exception):
    """Someone settled this conflict first; nothing was changed."""

    def __init__(self, by: str, at: datetime | None) -> None:
        super().__init__(by)
        self.by = by
        self.at = at


class ResolutionRefused(Exception):
    """The value cannot be stored (the entity's rules refuse it); nothing was changed."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def counter_now(db: Session) -> int:
    """The last seq handed out: what a page's resolutions take as the state the supervisor saw."""
    return current_seq(db)


# --- the queue ----------------------------------------------------------------------------------

@dataclass
class Filters:
    status: str = "open"
    device: str = ""
    session: str = ""
    entity: str = ""

    @classmethod
    def read(cls, params: Any) -> tuple["Filters", list[str]]:
        """Filters from a query string; unknown values are dropped with a message each."""
        problems: list[str] = []
        found = cls(**{name: (params.get(name) or "").strip()[:64] for name in ("status", "device", "session",
                                                                              "entity")})
        found.status = found.status or "open"
        if found.status not in ("open", "resolved"):
            problems.append(gettext_("Unknown status: showing open conflicts."))
            found.status = "open"
        for name in ("device", "session"):
            if getattr(found, name) and not is_record_id(getattr(found, name)):
                problems.append(gettext_("Unknown phone or training day: the filter was ignored."))
                setattr(found, name, "")
        if found.entity and found.entity not in REGISTRY.entities:
            problems.append(gettext_("Unknown kind of record: the filter was ignored."))
            found.entity = ""
        return found, problems

    def query(self) -> dict[str, str]:
        return {k: v for k, v in (("status", self.status), ("device", self.device), ("session", self.session),
                                  ("entity", self.entity)) if v}


@dataclass
class Side:
    value: Any
    username: str
    device: str
    captured_at: str | None
    arrived_at: datetime | None
    skewed: bool
    text: str = ""  # the value in words
    officer: str = ""  # the user's name

    @property
    def device_label(self) -> str:
        """The phone's name without the officer's name it may start with (shown beside it already)."""
        for who in (self.officer, self.username):
            if who and self.device.startswith(f"{who} · "):
                return self.device[len(who) + 3:]
        return self.device

    @property
    def captured_moment(self) -> datetime | None:
        """The phone's clock as a moment (None when it sent no readable time with an offset)."""
        return phone_time(self.captured_at)


def phone_time(captured_at: str | None) -> datetime | None:
    if not captured_at:
        return None
    try:
        moment = datetime.fromisoformat(captured_at.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


@dataclass
class ConflictRow:
    conflict: Conflict
    record: Described | None
    current: Any
    record_seq: int | None
    kept: Side
    other: Side
    resolved_by: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The same in words (server.review.record_words): the field's label and each value as a person reads it.
    field_label: str = ""
    current_text: str = ""
    resolved_text: str = ""


def _area_condition(db: Session, user: User) -> list[Any]:
    area = area_village_ids(db, user)
    return [] if area is None else [Conflict.village_id.in_(area or {""})]


def conflict_conditions(db: Session, user: User, filters: Filters) -> list[Any]:
    conditions = [Conflict.status == filters.status, *_area_condition(db, user)]
    if filters.device:
        conditions.append(or_(Conflict.other_device_id == filters.device, Conflict.kept_device_id == filters.device))
    if filters.session:
        conditions.append(Conflict.entity == "attendance")
        conditions.append(Conflict.record_id.in_(select(Attendance.id).where(Attendance.session_id == filters.session)))
    if filters.entity:
        conditions.append(Conflict.entity == filters.entity)
    return conditions


def count_open(db: Session, user: User) -> int:
    return db.exec(select(func.count()).select_from(Conflict).where(
        Conflict.status == "open", *_area_condition(db, user))).one()


def conflict_page(db: Session, user: User, filters: Filters, page: int) -> tuple[list[ConflictRow], int]:
    conditions = conflict_conditions(db, user, filters)
    total = db.exec(select(func.count()).select_from(Conflict).where(*conditions)).one()
    found = list(db.exec(select(Conflict).where(*conditions).order_by(Conflict.created_at, Conflict.id)
                         .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all())
    return rows_for(db, found, user), total


def conflicts_by_ids(db: Session, user: User, ids: list[str]) -> list[Conflict]:
    ids = [i for i in ids if is_record_id(i)]
    if not ids:
        return []
    return list(db.exec(select(Conflict).where(Conflict.id.in_(ids), *_area_condition(db, user))
                        .order_by(Conflict.created_at, Conflict.id)).all())


def open_conflicts_of_record(db: Session, user: User, entity: str, record_id: str) -> list[Conflict]:
    return list(db.exec(select(Conflict).where(Conflict.entity == entity, Conflict.record_id == record_id,
                                               Conflict.status == "open", *_area_condition(db, user))
                        .order_by(Conflict.created_at)).all())


def rows_for(db: Session, conflicts: list[Conflict], user: User | None = None) -> list[ConflictRow]:
    """Each conflict with its record, the value stored now, and who captured each side, when, with
    every value in words for `user` (citizen IDs masked unless an administrator reads)."""
    if not conflicts:
        return []
    described = describe(db, [(c.entity, c.record_id) for c in conflicts])
    user_ids = {c.kept_user_id for c in conflicts} | {c.other_user_id for c in conflicts} | {
        c.resolved_by_user_id for c in conflicts}
    people = {u.id: u for u in db.exec(select(User).where(User.id.in_(user_ids - {None}))).all()}
    users = {i: u.username for i, u in people.items()}
    names = {i: u.display_name or u.username for i, u in people.items()}
    words = RecordWords(db, user)
    for c in conflicts:
        for value in (c.kept, c.other, c.resolved_value):
            words.learn(c.entity, {c.field: value})
    device_ids = {c.kept_device_id for c in conflicts} | {c.other_device_id for c in conflicts}
    devices = dict(db.exec(select(Device.id, Device.name).where(Device.id.in_(device_ids - {None}))).all())
    # The kept value's own op: its device clock and arrival, from the audit entry of its seq.
    kept_ops: dict[tuple[str, int], AuditEntry] = {}
    record_ids = {c.record_id for c in conflicts}
    # The first entry of a seq is the op that made it: a later op answered `conflict` changed nothing
    # and carries the same seq, but its clock is the other side's.
    for entry in db.exec(select(AuditEntry).where(AuditEntry.record_id.in_(record_ids),
                                                  AuditEntry.action.in_(("create", "update", "delete")))
                         .order_by(AuditEntry.id)):
        seq = (entry.detail or {}).get("seq")
        if isinstance(seq, int):
            kept_ops.setdefault((entry.record_id, seq), entry)
    current: dict[tuple[str, str], dict[str, Any]] = {}
    for entity in {c.entity for c in conflicts}:
        spec = REGISTRY.entities.get(entity)
        if spec is None:
            continue
        ids = [c.record_id for c in conflicts if c.entity == entity]
        for row in db.execute(select(spec.table).where(spec.table.c.id.in_(ids))).mappings():
            current[(entity, row["id"])] = dict(row)

    rows = []

    def said(c: Conflict, value: Any) -> str:
        if c.field == "_deleted":
            return gettext_("deleted") if value else gettext_("kept")
        return words.text(c.entity, c.field, value)

    for c in conflicts:
        stored = current.get((c.entity, c.record_id))
        kept_entry = kept_ops.get((c.record_id, c.kept_seq)) if c.kept_seq is not None else None
        kept_captured = (kept_entry.detail or {}).get("captured_at") if kept_entry else None
        kept_arrived = kept_entry.at if kept_entry else None
        if stored is None:
            now_value = None
        elif c.field == "_deleted":
            now_value = bool(stored["deleted"])
        else:
            now_value = to_api(stored.get(c.field))
        rows.append(ConflictRow(
            conflict=c, record=described.get((c.entity, c.record_id)), current=now_value,
            record_seq=stored["seq"] if stored else None,
            kept=Side(c.kept, users.get(c.kept_user_id, ""), devices.get(c.kept_device_id, ""), kept_captured,
                      kept_arrived, _skewed(kept_captured, kept_arrived), text=said(c, c.kept),
                      officer=names.get(c.kept_user_id, "")),
            other=Side(c.other, users.get(c.other_user_id, ""), devices.get(c.other_device_id, ""),
                       c.other_captured_at, c.created_at, _skewed(c.other_captured_at, c.created_at),
                       text=said(c, c.other), officer=names.get(c.other_user_id, "")),
            resolved_by=names.get(c.resolved_by_user_id, ""), field_label=field_label(c.entity, c.field),
            current_text=said(c, now_value), resolved_text=said(c, c.resolved_value)))
    return rows


def _skewed(captured_at: str | None, arrived: datetime | None) -> bool:
    if arrived is None:
        return False
    if arrived.tzinfo is None:
        arrived = arrived.replace(tzinfo=timezone.utc)
    return clock_skew(captured_at, arrived)


# --- resolving ------------------------------------------------------------------------------------

@dataclass
class Outcome:
    settled: int = 0
    already: list[str] = field(default_factory=list)  # "already resolved by …" messages
    raced: int = 0  # resolutions that met a newer change and became open conflicts again


def parse_value(entity: str, field_name: str, raw: str | None) -> Any:
    """A corrected value typed by the supervisor, in the form the field's kind takes (API form)."""
    kind = REGISTRY.entities[entity].kinds.get(field_name)
    raw = (raw or "").strip()
    if kind is None:
        raise ResolutionRefused([gettext_("This conflict cannot take a typed value.")])
    if raw == "":
        return None
    if kind == "int":
        value = parse_int(raw)
        if value is None:
            raise ResolutionRefused([gettext_("Must be a whole number")])
        return value
    if kind == "bool":
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "y", gettext_("yes").lower()):
            return True
        if lowered in ("0", "false", "no", "n", gettext_("no").lower()):
            return False
        raise ResolutionRefused([gettext_("Answer yes or no.")])
    if kind == "date":
        try:
            return parse_date(raw).isoformat()
        except DateInputError:
            raise ResolutionRefused([gettext_("Not a valid date: type day/month/year in the Buddhist Era, "
                                              "e.g. 24/11/2569")]) from None
    if kind == "list":
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def resolve(db: Session, user: User, conflict_id: str, *, choice: str, typed: str | None, as_of: int) -> Outcome:
    """Settle one conflict (kept, other or a typed value); the caller commits."""
    if choice not in CHOICES:
        raise ResolutionRefused([gettext_("Choose which value to keep.")])
    return resolve_many(db, user, [conflict_id], choice=choice, typed=typed, as_of=as_of, single=True)


def resolve_many(db: Session, user: User, conflict_ids: list[str], *, choice: str, as_of: int,
                 typed: str | None = None, single: bool = False) -> Outcome:
    """Settle conflicts the same way, as one server-side push (one op per record). The caller commits.

    The counter's lock is taken first, so two supervisors settling the same conflict queue one after
    the other and the second is told who was first.
    """
    lock_counter(db)
    found = conflicts_by_ids(db, user, conflict_ids)
    if single and not found:
        raise NotFoundInArea()
    for conflict in found:
        db.refresh(conflict)
    outcome = Outcome()
    names = dict(db.exec(select(User.id, User.display_name).where(
        User.id.in_({c.resolved_by_user_id for c in found} - {None}))).all())
    todo = []
    for conflict in found:
        if conflict.status != "open":
            outcome.already.append(already_message(names.get(conflict.resolved_by_user_id, ""), conflict.resolved_at))
        else:
            todo.append(conflict)
    if single and outcome.already:
        raise AlreadyResolved(names.get(found[0].resolved_by_user_id, ""), found[0].resolved_at)
    if choice == "custom" and (not single or todo and todo[0].field == "_deleted"):
        raise ResolutionRefused([gettext_("A typed value settles one conflict at a time.")])
    if not todo:
        return outcome

    # One op per record: the fields to set, or a delete (a delete that lost to an edit, now chosen).
    chosen: dict[tuple[str, str], dict[str, Any]] = {}
    deletes: set[tuple[str, str]] = set()
    stored = _stored_records(db, todo)
    for conflict in todo:  # oldest first: a later conflict on the same field wins
        key = (conflict.entity, conflict.record_id)
        if conflict.field == "_deleted":
            if choice == "other":
                deletes.add(key)
            continue
        if choice == "custom":
            value = parse_value(conflict.entity, conflict.field, typed)
        elif choice == "other":
            value = conflict.other
        else:
            record = stored.get(key)
            value = to_api(record.get(conflict.field)) if record else conflict.kept
        chosen.setdefault(key, {})[conflict.field] = value
        conflict.resolved_value = value

    ops: list[Op] = []
    now = utc_now()
    for key in [*chosen, *(k for k in deletes if k not in chosen)]:
        record = stored.get(key)
        if record is None:
            continue
        base = min(as_of, record["seq"])
        action = "delete" if key in deletes else "upsert"
        ops.append(Op(op_id=str(uuid.uuid4()), entity=key[0], id=key[1], action=action, base_seq=base,
                      captured_at=now.isoformat(), fields={} if action == "delete" else chosen[key]))
    area = area_village_ids(db, user)
    results = apply_ops(db, Actor(user_id=user.id, device_id=None, area=area), ops).results if ops else []
    by_record = {(op.entity, op.id): result for op, result in zip(ops, results)}
    refused = [r for r in results if r["status"] == "rejected"]
    if refused:
        db.rollback()
        locale = current_locale.get()
        raise ResolutionRefused([e["message_en" if locale == "en" else "message_th"]
                                 for r in refused for e in r.get("errors", [])])
    for conflict in todo:
        result = by_record.get((conflict.entity, conflict.record_id))
        conflict.status = "resolved"
        conflict.resolution = choice
        conflict.resolved_by_user_id = user.id
        conflict.resolved_at = now
        db.add(conflict)
        raced = bool(result and result["status"] == "conflict"
                     and any(c["field"] == conflict.field for c in result.get("conflicts", [])))
        outcome.settled += 1
        outcome.raced += int(raced)
        audit(db, action="resolve_conflict", entity=conflict.entity, record_id=conflict.record_id, user_id=user.id,
              detail={"conflict_id": conflict.id, "field": conflict.field, "resolution": choice,
                      "value": conflict.resolved_value, "op_id": result["op_id"] if result else None,
                      "seq": result["seq"] if result else None, "raced": raced, "bulk": not single})
    db.flush()
    _tell_phones(db, user, todo)
    return outcome


def _tell_phones(db: Session, user: User, settled: list[Conflict]) -> None:
    """A settled conflict's record is pulled again, carrying its settlement (`resolved_conflicts`), so
    the phone whose value lost hears what was kept — even when the record's values did not change."""
    from server.synced.write import save_synced
    from server.review.reviewed_records import MODELS

    for entity, record_id in sorted({(c.entity, c.record_id) for c in settled}):
        model = MODELS.get(entity)
        record = db.get(model, record_id) if model is not None else None
        if record is None or record.deleted:
            continue
        save_synced(db, record, entity=entity, values={}, touch=True, user=user,
                    audit_detail={"via": "resolve_conflict"})
    db.flush()


def already_message(by: str, at: datetime | None) -> str:
    from server.core.dates import format_datetime

    return gettext_("Already resolved by {name} on {when}.").format(name=by or "?",
                                                                   when=format_datetime(at, current_locale.get()))


def _stored_records(db: Session, conflicts: list[Conflict]) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entity in {c.entity for c in conflicts}:
        table = REGISTRY.entities[entity].table
        ids = [c.record_id for c in conflicts if c.entity == entity]
        for row in db.execute(select(table).where(table.c.id.in_(ids))).mappings():
            found[(entity, row["id"])] = dict(row)
    return found


def open_conflict_count(db: Session, *, village_ids: set[str] | None) -> int:
    """Conflicts still open in an area (`area_village_ids`; None for everywhere)."""
    if village_ids is None:
        return db.exec(_OPEN_CONFLICTS).one()
    return db.exec(_OPEN_CONFLICTS_IN_AREA, params={"area": list(village_ids)}).one()


# Built once: the home page asks every time.
_OPEN_CONFLICTS = select(func.count()).select_from(Conflict).where(Conflict.status == "open")
_OPEN_CONFLICTS_IN_AREA = _OPEN_CONFLICTS.where(Conflict.village_id.in_(bindparam("area", expanding=True)))
