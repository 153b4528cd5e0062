"""One write path for synced records: lock, re-read, refuse a stale form, check the rules, apply,
stamp the change, audit.

Office pages, the household import and demo seeding save every synced record through
`save_synced`, so none of them can skip a step; a phone's push takes the same steps in bulk in
`sync.push` and runs the same rules (the entity specs of `server.synced.specs`).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import inspect, select
from sqlmodel import Session

from server.audit.log import audit, changed_values
from server.models import User
from server.program.field_checks import FieldError
from server.synced.refusals import deleted
from server.synced.specs import REGISTRY
from sync.changes import lock_counter, stamp_change
from sync.spec import EntitySpec, StoredRecords

# Columns every synced record has that only the stamp itself writes.
_BOOKKEEPING = frozenset({"id", "seq", "deleted", "field_versions", "created_at", "updated_at",
                          "updated_by_user_id", "updated_by_device_id"})


class Stale(Exception):
    """The record changed after the form was loaded (or someone created it first): nothing was saved."""


class Refused(Exception):
    """The rules refuse the values: nothing was saved; `errors` say why, field by field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(", ".join(f"{e.field}: {e.code}" for e in errors))
        self.errors = errors


def problems(db: Session, entity: str, values: Mapping[str, Any], *, record_id: str,
             only: set[str] | None = None) -> list[FieldError]:
    """What the entity's rules say about a record holding `values` (every field of it); empty when it
    may be saved. `only`: report just these fields (an edit answers for what it changes, as a push does).

    A form calls this to show every problem at once; `save_synced` calls it again under the lock. The
    rules that read other records see only the fields that are right in themselves (a citizen ID with
    a wrong check digit is not looked up).
    """
    spec = REGISTRY.entities[entity]
    values = dict(values)
    field_errors = list(spec.validate(values)) if spec.validate else []
    if spec.check:
        wrong = {error.field for error in field_errors}
        sound = {name: value for name, value in values.items() if name not in wrong}
        field_errors += spec.check(StoredRecords(db, REGISTRY), sound, record_id)
    return _first_per_field(field_errors, only)


def _first_per_field(errors: list[FieldError], only: set[str] | None) -> list[FieldError]:
    seen: set[str] = set()
    kept = []
    for error in errors:
        if error.field not in seen and (only is None or error.field in only):
            seen.add(error.field)
            kept.append(error)
    return kept


def save_synced(db: Session, record: Any, *, entity: str, values: Mapping[str, Any], user: User | None,
                device_id: str | None = None, expected_seq: int | None = None, touch: bool = False,
                seq: int | None = None, audit_action: str | None = None,
                audit_detail: dict[str, Any] | None = None) -> list[str]:
    """Write `values` (columns of the contract's `entity`) to `record`, new or stored; returns the
    columns that changed. The caller commits.

    1. Takes the change counter's lock, so writes to synced records (pages and pushes) queue in one
       order and nothing read below can change before the commit.
    2. Reads a stored record again; a deleted one, or one whose seq is not `expected_seq` (the seq
       the form was loaded with), raises `Stale`. A new record whose natural key is taken raises
       `Stale` too (someone else created it meanwhile).
    3. Refuses (`Refused`, code `locked`) a record of a signed-off training round (`spec.locked`, as a
       push does), then checks the entity's rules on the whole record (`problems`); raises `Refused`
       with the errors.
       On `Stale` or `Refused` the transaction is rolled back: nothing of it is kept and the lock is
       released before the caller renders its answer.
    4. Sets the values, stamps the change (a record that moves village takes its dependents along)
       and writes the audit entry (`audit_action`, by default create or update, with `audit_detail`).

    With `touch`, the change is stamped even when no field changed: rows that the record's pull
    carries changed (a team's or a group's members). `seq`: one the caller reserved under the lock
    (a hook that runs inside a push, which hands out its own seqs). Columns the server keeps beside
    the contract's fields (when a task was closed...) may be given too; they get no field version.
    Don't set the values on `record` yourself: a stored record is read again from the database.
    """
    spec = REGISTRY.entities[entity]
    unknown = sorted(name for name in values if name not in spec.table.c or name in _BOOKKEEPING)
    if unknown:
        raise ValueError(f"{entity} has no field {', '.join(unknown)}")
    lock_counter(db)
    is_new = inspect(record).transient or inspect(record).pending
    if not is_new:
        db.refresh(record)
        if record.deleted or (expected_seq is not None and record.seq != expected_seq):
            db.rollback()
            raise Stale()
    current = {name: getattr(record, name) for name in (*spec.kinds, *values)}
    changed = [name for name, value in values.items() if is_new or current[name] != value]
    if not (is_new or changed or touch):
        return []
    merged = {**current, **values}
    if spec.locked is not None:
        view = StoredRecords(db, REGISTRY)
        locked = (spec.locked(view, merged, record.id) if is_new
                  else spec.locked(view, current, record.id) or spec.locked(view, merged, record.id))
        if locked:
            db.rollback()
            raise Refused(locked)
    if is_new:
        _natural_key_free(db, spec, merged)
    errors = problems(db, entity, merged, record_id=record.id, only=None if is_new else set(changed))
    if errors:
        db.rollback()
        raise Refused(errors)

    for name in changed:
        setattr(record, name, values[name])
    user_id = user.id if user is not None else None
    stamped = [name for name in (spec.kinds if is_new else changed) if name in spec.kinds]
    stamp_change(db, record, entity=entity, fields=stamped, village_id=_village_of(db, spec, record),
                 user_id=user_id, device_id=device_id, seq=seq, registry=REGISTRY)
    detail = dict(audit_detail or {})
    if not is_new:
        detail.setdefault("fields", changed)
        detail.setdefault("changes", changed_values(current, values, changed))
    audit(db, action=audit_action or ("create" if is_new else "update"), entity=entity, record_id=record.id,
          user_id=user_id, device_id=device_id, detail=detail)
    return changed


def _natural_key_free(db: Session, spec: EntitySpec, values: dict[str, Any]) -> None:
    """A new record may not take the natural key of another (the database would refuse it anyway)."""
    if not spec.natural_key or any(values.get(name) is None for name in spec.natural_key):
        return
    table = spec.table
    found = db.execute(select(table.c.deleted).where(
        *(table.c[name] == values[name] for name in spec.natural_key))).first()
    if found is None:
        return
    db.rollback()
    if found[0]:
        raise Refused([deleted(spec.natural_key[-1])])
    raise Stale()


def _village_of(db: Session, spec: EntitySpec, record: Any) -> str | None:
    """The village a record's changes are pulled in (its own, or that of the record it hangs on)."""
    if spec.scope == "id":
        return record.id
    if spec.scope == "village_id":
        return record.village_id
    target = REGISTRY.entities[spec.refs[spec.scope]]
    found = db.execute(target.scope_select, {"ids": [getattr(record, spec.scope)]}).first()
    return found[1] if found is not None else None
