"""Applying a pushed batch of ops: merge field by field, keep every losing value, answer every op.

One batch is one transaction. The engine takes the change counter's lock first (see
`sync.changes`), loads everything the batch refers to in a few IN queries, applies the ops in order
against that in-memory state, and writes the outcome with one bulk statement per table. Nothing is
written op by op, so a rejected op needs no savepoint: it simply leaves no trace but its answer.
"""
from __future__ import annotations

import hashlib
import json

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date as dt_date
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import msgspec
from sqlalchemy import JSON, Table, and_, or_, select
from sqlalchemy.orm import Session

from sync.changes import (
    dependents_of,
    lock_counter,
    move_dependents,
    record_departures,
    set_counter,
)
from sync.lists import in_list
from sync.spec import EntitySpec, Error, Registry, rows_with, to_api, to_storage, utc_now

SUPPORTED_SCHEMAS = (1,)
MAX_OPS = 1000
MAX_BYTES = 5 * 1024 * 1024
CLOCK_SKEW = timedelta(minutes=5)
# Integer columns are 32-bit on PostgreSQL: a number beyond this is refused, never sent to a query.
MAX_INT = 2_147_483_647


@dataclass
class Op:
    op_id: str
    entity: str
    id: str
    action: str
    base_seq: int | None = None
    captured_at: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Actor:
    """Who pushes: the user, their device and the villages they may change (None: everywhere)."""

    user_id: int | None
    device_id: str | None
    area: set[str] | None


@dataclass
class PushOutcome:
    results: list[dict[str, Any]]
    last_seq: int  # the counter after this batch: what the response's cursor may point at


def op_content_hash(op: Op) -> str:
    """A hash of what an op asks (entity, record, action, base and fields; not its clock): the same
    op sent again hashes the same, a reused op_id with anything else does not."""
    content = [op.entity, op.id, op.action, op.base_seq, op.fields]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class _Rec:
    """A record as the batch sees it: its stored columns plus what earlier ops did to it."""

    __slots__ = ("values", "is_new", "dirty", "loaded_village_id")

    def __init__(self, values: dict[str, Any], is_new: bool = False) -> None:
        self.values = values
        self.is_new = is_new
        self.dirty = is_new
        self.loaded_village_id = values.get("village_id")  # to notice a record moving village


class _Rejected(Exception):
    def __init__(self, *errors: Error) -> None:
        self.errors = list(errors)


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _is_uuid(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 36 and _UUID.fullmatch(value) is not None


def clock_skew(captured_at: str | None, now: datetime) -> bool:
    """Whether a device's `captured_at` is worth flagging; it never decides anything (SYNC.md).

    A time with an offset is compared with the server's clock. A time without one (a device that
    formats its local time naively) cannot be compared and is not flagged. A text that is no ISO time
    at all is flagged: the device's clock or its app is not to be trusted. The op is applied either
    way, and the text is kept as sent for display.
    """
    if captured_at is None:
        return False
    try:
        moment = datetime.fromisoformat(captured_at)
        if moment.tzinfo is None:
            return False
        return abs(moment - now) > CLOCK_SKEW
    except (TypeError, ValueError, OverflowError):
        return True


def _storable_text(value: str | None) -> str | None:
    """Text a device sent, as a column can store it (no NUL byte, no lone UTF-16 surrogate)."""
    if value is None:
        return None
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _kind_ok(kind: str, value: Any) -> bool:
    """Whether a non-null value has the JSON type its field's kind stores (the engine's safety net:
    the entity's rules give the friendlier message; nothing that fails this reaches a column)."""
    if kind in ("text", "ref"):
        return isinstance(value, str) and _storable_text(value) == value
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool) and -MAX_INT <= value <= MAX_INT
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "date":
        if isinstance(value, dt_date):
            return True
        if not isinstance(value, str) or _ISO_DATE.fullmatch(value) is None:
            return False
        try:
            dt_date.fromisoformat(value)
        except ValueError:
            return False
        return True
    if kind == "list":
        return isinstance(value, list) and all(_kind_ok("text", item) for item in value)
    return False


def _unique(errors: list[Error]) -> list[Error]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for error in errors:
        if (error.field, error.code) not in seen:
            seen.add((error.field, error.code))
            kept.append(error)
    return kept


def _hashable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


class _BatchRecords:
    """The records as a batch sees them (`sync.spec.Records`): what is stored, with the records this
    batch created or changed laid over it. Nothing is written before the batch ends and the batch holds
    the counter lock, so what is stored cannot change meanwhile: each query is made once per batch.

    A look-up by one column is made for the whole batch at once: the first `rows("household",
    citizen_id=x)` reads every household holding any citizen ID the batch's household ops carry (and a
    look-up by id, every id the batch's ops give or point at), in a few IN queries instead of one an op;
    the batch's own records are found through an index of that column, kept as ops change them.
    """

    def __init__(self, batch: "Batch") -> None:
        self.batch = batch
        self.session = batch.session
        self._stored: dict[tuple, list[dict[str, Any]]] = {}
        self._changed: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # entity -> id -> values
        self._index: dict[tuple[str, str], dict[Any, set[str]]] = {}  # (entity, column) -> value -> ids
        self._indexed: dict[tuple[str, str], dict[str, Any]] = {}  # (entity, column) -> id -> value

    def changed(self, entity: str, values: dict[str, Any]) -> None:
        """An op of the batch created or changed this record (`values`, as it is now)."""
        self._changed[entity][values["id"]] = values
        for key in self._index:
            if key[0] == entity:
                self._reindex(key, values)

    def rows(self, entity: str, **equal: Any) -> list[dict[str, Any]]:
        key = (entity, tuple(sorted(equal.items())))
        stored = self._stored.get(key)
        if stored is None:
            if len(equal) == 1:
                self._read_for_batch(entity, *next(iter(equal.items())))
            stored = self._stored.get(key)
        if stored is None:
            table = self.batch.registry.entities[entity].table
            stmt = select(table).where(*(table.c[name] == value for name, value in equal.items()))
            stored = self._stored[key] = [dict(row) for row in self.session.execute(stmt).mappings()]
        changed = self._changed.get(entity, {})
        found = [row for row in stored if row["id"] not in changed]
        if len(equal) == 1:
            ((column, value),) = equal.items()
            found += [changed[rid] for rid in self._column_index(entity, column).get(value, ())]
        else:
            found += [values for values in changed.values()
                      if all(values.get(name) == value for name, value in equal.items())]
        return found

    def get(self, entity: str, record_id: Any) -> dict[str, Any] | None:
        if not _is_uuid(record_id):
            return None
        found = self.rows(entity, id=record_id)
        return found[0] if found else None

    def _column_index(self, entity: str, column: str) -> dict[Any, set[str]]:
        key = (entity, column)
        if key not in self._index:
            self._index[key], self._indexed[key] = {}, {}
            for values in self._changed.get(entity, {}).values():
                self._reindex(key, values)
        return self._index[key]

    def _reindex(self, key: tuple[str, str], values: dict[str, Any]) -> None:
        index, indexed = self._index[key], self._indexed[key]
        record_id = values["id"]
        if record_id in indexed:
            index[indexed.pop(record_id)].discard(record_id)
        value = values.get(key[1])
        if _hashable(value):
            indexed[record_id] = value
            index.setdefault(value, set()).add(record_id)

    def _read_for_batch(self, entity: str, column: str, value: Any) -> None:
        """Read the rows of `entity` whose `column` holds `value` or any value of it the batch may ask for."""
        registry = self.batch.registry
        asked = [value]
        for op in self.batch.ops:
            if not isinstance(op.fields, dict):
                continue
            if op.entity == entity:
                asked.append(op.id if column == "id" else op.fields.get(column))
            if column == "id":
                spec = registry.pushable(op.entity)
                asked += [op.fields.get(name) for name, target in (spec.refs if spec else {}).items()
                          if target == entity]
        # Only plain text keys go into the IN list (a NUL byte or a wrong type would make the query fail).
        wanted = {v for v in asked if isinstance(v, str) and _storable_text(v) == v}
        if value not in wanted:
            return
        table = registry.entities[entity].table
        found: dict[Any, list[dict[str, Any]]] = {v: [] for v in wanted}
        for row in self.session.execute(rows_with(table, column), {"ids": sorted(wanted)}).mappings():
            found[row[column]].append(dict(row))
        for key_value, rows in found.items():
            self._stored.setdefault((entity, ((column, key_value),)), rows)


class Batch:
    """Applies one request's ops. Use `apply_push`; this class holds the batch's working state."""

    def __init__(self, session: Session, registry: Registry, actor: Actor, ops: list[Op],
                 now: datetime | None = None) -> None:
        self.session = session
        self.registry = registry
        self.errors = registry.errors
        self.actor = actor
        self.ops = ops
        self.now = now or utc_now()
        self.records: dict[str, dict[str, _Rec]] = defaultdict(dict)
        self.natural: dict[str, dict[tuple, str]] = defaultdict(dict)
        self.scopes: dict[str, dict[str, tuple[str | None, bool]]] = defaultdict(dict)
        self.seen_ops: dict[str, dict[str, Any]] = {}
        self.foreign_ops: set[str] = set()  # op_ids already used by another user's device
        self.op_hashes: dict[str, str | None] = {}  # what each seen op_id asked (None: not known)
        self.new_ops: list[dict[str, Any]] = []
        self.conflict_rows: list[dict[str, Any]] = []
        self.audit_rows: list[dict[str, Any]] = []
        self.deleted: list[tuple[str, str]] = []  # (entity, id) this batch deleted
        self.seq = 0
        self.view = _BatchRecords(self)

    # --- loading -------------------------------------------------------------------------------

    def _load(self) -> None:
        # Idempotency is per user. An op_id is a UUID the device makes, so the same op_id from
        # another device is either the same user's phone resending its outbox after signing in
        # again (a new device id, same user: the first answer is the right one, and it is theirs) or
        # a buggy or malicious client reusing someone else's op_id. The second must not get the
        # first answer back (it would show values of another area) nor be dropped as a duplicate:
        # it is rejected (`op_id`, `invalid`) and not remembered, and the phone can send it again
        # under a new op_id. Keying `sync_op` by (user, op_id) would instead process it as new;
        # with random UUIDs a clash is never honest, so refusing it is the simpler safe answer.
        op_ids = list({op.op_id for op in self.ops})
        sync_op = _any_table(self.registry, "sync_op")
        device = _any_table(self.registry, "device")
        for op_id, result, content_hash, device_id, user_id in (
                self.session.execute(_ops_statement(sync_op, device), {"ids": op_ids}) if op_ids else ()):
            if self._owns(device_id, user_id):
                self.seen_ops[op_id] = result
                self.op_hashes[op_id] = content_hash
            else:
                self.foreign_ops.add(op_id)

        ids: dict[str, set[str]] = defaultdict(set)
        keys: dict[str, set[tuple]] = defaultdict(set)
        for op in self.ops:
            spec = self.registry.pushable(op.entity)
            if (spec is None or op.op_id in self.seen_ops or op.op_id in self.foreign_ops
                    or not isinstance(op.fields, dict)):
                continue
            if _is_uuid(op.id):
                ids[spec.name].add(op.id)
            if spec.natural_key and op.action == "upsert":
                key = tuple(op.fields.get(name) for name in spec.natural_key)
                if all(isinstance(part, str) and _storable_text(part) == part for part in key):
                    keys[spec.name].add(key)  # (a NUL byte would make PostgreSQL refuse the query)

        for name in sorted(ids.keys() | keys.keys()):
            self._load_records(self.registry.entities[name], sorted(ids[name]), sorted(keys[name]))

        # References: what ops point at, and what the loaded records' scope hangs on.
        refs: dict[str, set[str]] = defaultdict(set)
        for op in self.ops:
            spec = self.registry.pushable(op.entity)
            if spec is None or not isinstance(op.fields, dict):
                continue
            for name, target in spec.refs.items():
                value = op.fields.get(name)
                if _is_uuid(value):
                    refs[target].add(value)
        for name, recs in self.records.items():
            spec = self.registry.entities[name]
            if spec.scope in spec.refs:
                target = spec.refs[spec.scope]
                refs[target].update(r.values[spec.scope] for r in recs.values() if r.values[spec.scope])
        for target, wanted in refs.items():
            self._load_scopes(target, wanted)

    def _load_records(self, spec: EntitySpec, ids: list[str], keys: list[tuple]) -> None:
        """The stored records the ops name, by id or by natural key, in one statement (the usual push: a
        phone's new ids for records the server may hold under its own).

        A natural key is asked part by part (`session_id IN (..) AND household_id IN (..)`), which reads
        the key's unique index; the rows that match parts of different keys are then left out here. A
        list of whole keys (`(session_id, household_id) IN ((..), (..))`) made SQLite read the whole
        table on every push."""
        table = spec.table
        if not keys:
            self._remember(spec, self.session.execute(rows_with(table, "id"), {"ids": ids}).mappings())
            return
        wanted_ids, wanted_keys = set(ids), set(keys)
        parts = {f"key_{i}": sorted({key[i] for key in keys}) for i in range(len(spec.natural_key))}
        rows = self.session.execute(_records_statement(table, spec.natural_key), {"ids": ids, **parts}).mappings()
        self._remember(spec, (row for row in rows if row["id"] in wanted_ids
                              or tuple(row[part] for part in spec.natural_key) in wanted_keys))

    def _owns(self, device_id: str | None, user_id: int | None) -> bool:
        """Whether an op stored for (device, its user) was this actor's own."""
        if device_id == self.actor.device_id:
            return True
        return user_id is not None and user_id == self.actor.user_id

    def _load_scopes(self, entity: str, wanted: set[str]) -> None:
        spec = self.registry.entities[entity]
        missing = sorted(i for i in wanted if i not in self.scopes[entity])
        if missing:
            for rid, village_id, deleted in self.session.execute(spec.scope_select, {"ids": missing}):
                self.scopes[entity][rid] = (village_id, bool(deleted))

    def _remember(self, spec: EntitySpec, rows) -> None:
        for row in rows:
            if row["id"] in self.records[spec.name]:
                continue
            rec = _Rec(dict(row))
            self.records[spec.name][row["id"]] = rec
            if spec.natural_key:
                self.natural[spec.name][tuple(row[k] for k in spec.natural_key)] = row["id"]

    # --- scope ---------------------------------------------------------------------------------

    def _scope_of(self, entity: str, record_id: str) -> tuple[str | None, bool] | None:
        """(village, deleted) of a record, seeing this batch's own changes first."""
        rec = self.records.get(entity, {}).get(record_id)
        if rec is not None:
            return self._village_of(self.registry.entities[entity], rec.values), bool(rec.values["deleted"])
        return self.scopes.get(entity, {}).get(record_id)

    def _village_of(self, spec: EntitySpec, values: dict[str, Any]) -> str | None:
        if spec.scope == "id":
            return values["id"]
        if spec.scope == "village_id":
            return values.get("village_id")
        target = values.get(spec.scope)
        found = self._scope_of(spec.refs[spec.scope], target) if target else None
        return found[0] if found else None

    def _in_area(self, village_id: str | None) -> bool:
        return self.actor.area is None or (village_id is not None and village_id in self.actor.area)

    # --- applying ------------------------------------------------------------------------------

    def run(self) -> PushOutcome:
        start = lock_counter(self.session)
        self.seq = start
        self._load()
        results = [self._answer(op) for op in self.ops]
        self._write()
        if self.seq != start:
            set_counter(self.session, self.seq)
        return PushOutcome(results=results, last_seq=self.seq)

    def _answer(self, op: Op) -> dict[str, Any]:
        first = self.seen_ops.get(op.op_id)
        content = op_content_hash(op)
        known = self.op_hashes.get(op.op_id)
        if first is not None and known is not None and known != content:
            # The op_id sent again with other content (even another record): answering duplicate
            # would drop the new content silently. Refused, and not remembered (SYNC.md, Push).
            return {"op_id": op.op_id, "status": "rejected", "id": op.id, "seq": None,
                    "errors": [self.errors.op_id_taken("op_id").as_api()]}
        if first is not None:
            return {**first, "status": "duplicate", "first_status": first.get("status")}
        op.captured_at = _storable_text(op.captured_at)
        if op.op_id in self.foreign_ops:  # not remembered: the op_id stays the other device's
            return {"op_id": op.op_id, "status": "rejected", "id": op.id, "seq": None,
                    "errors": [self.errors.op_id_taken("op_id").as_api()]}
        try:
            result = self._apply(op)
        except _Rejected as rejected:
            result = {"op_id": op.op_id, "status": "rejected", "id": op.id, "seq": None,
                      "errors": [e.as_api() for e in rejected.errors]}
        if clock_skew(op.captured_at, self.now):
            result["clock_skew"] = True
            for row in self.audit_rows[::-1]:
                if row["detail"].get("op_id") != op.op_id:
                    break
                row["detail"]["clock_skew"] = True
        self.seen_ops[op.op_id] = result
        self.op_hashes[op.op_id] = content
        self.new_ops.append({"op_id": op.op_id, "device_id": self.actor.device_id,
                             "result": result, "content_hash": content, "created_at": self.now})
        return result

    def _apply(self, op: Op) -> dict[str, Any]:
        errors = self.errors
        spec = self.registry.pushable(op.entity)
        if spec is None:
            raise _Rejected(errors.unknown_entity("entity"))
        if op.action not in ("upsert", "delete"):
            raise _Rejected(errors.invalid("action"))
        if not _is_uuid(op.id):
            raise _Rejected(errors.invalid("id"))
        if op.base_seq is not None and (isinstance(op.base_seq, bool) or not isinstance(op.base_seq, int)
                                        or op.base_seq < 0):
            raise _Rejected(errors.invalid("base_seq"))
        if not isinstance(op.fields, dict):
            raise _Rejected(errors.invalid("fields"))
        if self.actor.device_id is not None and spec.device_check is not None:
            stored = self.records[spec.name].get(op.id)
            problems = spec.device_check(stored.values if stored else None, op.action, op.fields)
            if problems:
                raise _Rejected(*problems)
        if op.action == "delete":
            return self._delete(spec, op)
        unknown = [name for name in op.fields if name not in spec.kinds]
        if unknown:
            raise _Rejected(*(errors.unknown_field(name) for name in unknown))

        fields = dict(op.fields)
        if spec.prepare:
            fields = spec.prepare(fields)
        rec = self.records[spec.name].get(op.id)
        base_seq = op.base_seq
        if rec is None and spec.natural_key:
            key = tuple(fields.get(name) for name in spec.natural_key)
            if all(_hashable(part) for part in key) and key in self.natural[spec.name]:
                rec = self.records[spec.name][self.natural[spec.name][key]]
                base_seq = None  # the device never saw this record: merge as if new to it
        if rec is None:
            return self._create(spec, op, fields)
        return self._update(spec, op, rec, fields, base_seq)

    def _check_values(self, spec: EntitySpec, values: dict[str, Any], *, record_id: str, only: set[str] | None,
                      refs_to_check: list[str]) -> None:
        """Validate a whole record; for an edit (`only`), report just the fields the op touches.

        The field rules first, then the references, then the rules that read other records
        (`spec.check`), which see this batch's earlier ops as if they were written already.
        """
        problems: list[Error] = []
        if only is None:
            problems += [self.errors.required(name) for name in spec.required
                         if values.get(name) in (None, "")]
        if spec.validate:
            problems += [e for e in spec.validate(values) if only is None or e.field in only]
        # Whatever the entity's rules say, no value reaches a column it cannot go in: a null where
        # the column is NOT NULL (the database would refuse the whole batch; a JSON column would
        # store a null the phone then pulls), or a value of another type than the field's kind.
        reported = {e.field for e in problems}
        for name in (spec.kinds if only is None else only):
            if name in reported:
                continue
            value = values.get(name)
            column = spec.table.c.get(name)
            if value is None:
                if column is not None and not column.nullable:
                    problems.append(self.errors.required(name))
            elif not _kind_ok(spec.kinds[name], value):
                problems.append(self.errors.invalid(name))
        if problems:
            raise _Rejected(*_unique(problems))
        for name in refs_to_check:
            value = values.get(name)
            if value is None:
                continue
            if not _is_uuid(value):
                problems.append(self.errors.invalid(name))
                continue
            target = spec.refs[name]
            found = self._scope_of(target, value)
            if found is None:
                problems.append(self.errors.unknown_reference(name))
            elif found[1]:
                problems.append(self.errors.deleted(name))
            elif not self._in_area(found[0]):
                problems.append(self.errors.forbidden(name))
        if problems:
            raise _Rejected(*problems)
        if spec.check:
            problems = [e for e in spec.check(self.view, values, record_id) if only is None or e.field in only]
            if problems:
                raise _Rejected(*_unique(problems))

    def _check_locked(self, spec: EntitySpec, values: dict[str, Any], record_id: str) -> None:
        """A record of a signed-off round changes for nobody, a phone or the office (`spec.locked`)."""
        if spec.locked is not None:
            problems = spec.locked(self.view, values, record_id)
            if problems:
                raise _Rejected(*problems)

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def _version(self, seq: int) -> dict[str, Any]:
        return {"seq": seq, "device": self.actor.device_id, "user": self.actor.user_id}

    def _create(self, spec: EntitySpec, op: Op, fields: dict[str, Any]) -> dict[str, Any]:
        values = {**spec.defaults, **fields}
        self._check_values(spec, values, record_id=op.id, only=None,
                           refs_to_check=[n for n in spec.refs if values.get(n) is not None])
        village = self._village_of(spec, {**values, "id": op.id})
        if not self._in_area(village):
            raise _Rejected(self.errors.forbidden(spec.scope if spec.scope != "id" else "id"))
        self._check_locked(spec, values, op.id)
        seq = self._next_seq()
        row = {name: to_storage(kind, values.get(name)) for name, kind in spec.kinds.items()
               if name in spec.table.c}
        version = self._version(seq)
        row.update(id=op.id, seq=seq, deleted=False, field_versions={n: version for n in fields},
                   created_at=self.now, updated_at=self.now, updated_by_user_id=self.actor.user_id,
                   updated_by_device_id=self.actor.device_id)
        if spec.derived is not None:
            row.update(spec.derived(row))
        rec = _Rec(row, is_new=True)
        self.records[spec.name][op.id] = rec
        self.view.changed(spec.name, row)
        if spec.natural_key:
            self.natural[spec.name][tuple(row[k] for k in spec.natural_key)] = op.id
        self._audit(op, "create", spec, op.id, seq, changed=list(fields))
        return {"op_id": op.op_id, "status": "applied", "id": op.id, "seq": seq}

    def _update(self, spec: EntitySpec, op: Op, rec: _Rec, fields: dict[str, Any],
                base_seq: int | None) -> dict[str, Any]:
        values = rec.values
        if values["deleted"]:
            raise _Rejected(self.errors.deleted("id"))
        if not self._in_area(self._village_of(spec, values)):
            raise _Rejected(self.errors.forbidden("id"))
        self._check_base_seq(base_seq, values)
        self._check_locked(spec, values, values["id"])
        stored = {name: to_api(values.get(name)) for name in spec.kinds}
        self._check_values(spec, {**stored, **fields}, record_id=values["id"], only=set(fields),
                           refs_to_check=[n for n in spec.refs if n in fields])
        incoming = {name: to_storage(spec.kinds[name], value) for name, value in fields.items()}
        moved = [n for n in spec.natural_key if n in incoming and incoming[n] != values[n]]
        if moved:
            raise _Rejected(*(self.errors.immutable(n) for n in moved))

        base = base_seq or 0
        device = self.actor.device_id
        versions = values["field_versions"] or {}
        changed: dict[str, Any] = {}
        unchanged: list[str] = []
        conflicts: list[dict[str, Any]] = []
        for name, value in incoming.items():
            stored = values.get(name)
            if stored == value:
                unchanged.append(name)
                continue
            version = versions.get(name)
            if version and version.get("seq", 0) > base and not (device and version.get("device") == device):
                conflicts.append(self._conflict(spec, op, values, name, to_api(stored), to_api(value), version))
            else:
                changed[name] = value

        seq = values["seq"]
        if changed:
            seq = self._next_seq()
            version = self._version(seq)
            versions = dict(versions)
            for name, value in changed.items():
                values[name] = value
                versions[name] = version
            if spec.derived is not None:
                values.update(spec.derived(values))
            self._touch(values, seq, versions)
            rec.dirty = True
            self.view.changed(spec.name, values)
        if changed or conflicts:
            self._audit(op, "update", spec, values["id"], seq, changed=list(changed),
                        unchanged=unchanged, conflicts=[c["field"] for c in conflicts], base_seq=base_seq)
        result = {"op_id": op.op_id, "status": "conflict" if conflicts else "applied",
                  "id": values["id"], "seq": seq}
        if conflicts:
            result["conflicts"] = conflicts
        return result

    def _delete(self, spec: EntitySpec, op: Op) -> dict[str, Any]:
        rec = self.records[spec.name].get(op.id)
        if rec is None:
            raise _Rejected(self.errors.not_found("id"))
        values = rec.values
        if not self._in_area(self._village_of(spec, values)):
            raise _Rejected(self.errors.forbidden("id"))
        self._check_base_seq(op.base_seq, values)
        if values["deleted"]:
            return {"op_id": op.op_id, "status": "applied", "id": op.id, "seq": values["seq"]}
        self._check_locked(spec, values, op.id)
        base = op.base_seq or 0
        device = self.actor.device_id
        versions = values["field_versions"] or {}
        unseen = [v for v in versions.values()
                  if v.get("seq", 0) > base and not (device and v.get("device") == device)]
        if unseen:
            latest = max(unseen, key=lambda v: v.get("seq", 0))
            conflict = self._conflict(spec, op, values, "_deleted", False, True, latest)
            self._audit(op, "update", spec, op.id, values["seq"], conflicts=["_deleted"], base_seq=op.base_seq)
            return {"op_id": op.op_id, "status": "conflict", "id": op.id, "seq": values["seq"],
                    "conflicts": [conflict]}
        seq = self._next_seq()
        versions = {**versions, "_deleted": self._version(seq)}
        values["deleted"] = True
        self._touch(values, seq, versions)
        rec.dirty = True
        self.view.changed(spec.name, values)
        self._audit(op, "delete", spec, op.id, seq, base_seq=op.base_seq)
        self.deleted.append((spec.name, op.id))
        return {"op_id": op.op_id, "status": "applied", "id": op.id, "seq": seq}

    def _check_base_seq(self, base_seq: int | None, values: dict[str, Any]) -> None:
        """A base_seq the record never had (from the future) would hide every change since the
        device's real base from the conflict check: refused, never merged as if nothing happened."""
        if base_seq is not None and base_seq > values["seq"]:
            raise _Rejected(self.errors.invalid("base_seq"))

    def _touch(self, values: dict[str, Any], seq: int, versions: dict[str, Any]) -> None:
        values.update(seq=seq, field_versions=versions, updated_at=self.now,
                      updated_by_user_id=self.actor.user_id, updated_by_device_id=self.actor.device_id)

    def _conflict(self, spec: EntitySpec, op: Op, values: dict[str, Any], name: str, kept: Any,
                  other: Any, version: dict[str, Any]) -> dict[str, Any]:
        conflict_id = str(uuid.uuid4())
        self.conflict_rows.append({
            "id": conflict_id, "entity": spec.name, "record_id": values["id"],
            "village_id": self._village_of(spec, values), "field": name, "kept": kept, "other": other,
            "kept_seq": version.get("seq"), "kept_device_id": version.get("device"),
            "kept_user_id": version.get("user"), "other_device_id": self.actor.device_id,
            "other_user_id": self.actor.user_id, "other_op_id": op.op_id,
            "other_captured_at": op.captured_at, "created_at": self.now, "status": "open",
            "resolution": None, "resolved_value": None, "resolved_by_user_id": None, "resolved_at": None,
        })
        return {"field": name, "kept": kept, "other": other, "conflict_id": conflict_id}

    def _audit(self, op: Op, action: str, spec: EntitySpec, record_id: str, seq: int, **detail: Any) -> None:
        info = {"op_id": op.op_id, "seq": seq, "via": "sync", "captured_at": op.captured_at}
        info.update({k: v for k, v in detail.items() if v is not None})
        if "base_seq" not in detail:
            info["base_seq"] = op.base_seq
        self.audit_rows.append({"at": self.now, "user_id": self.actor.user_id,
                                "device_id": self.actor.device_id, "action": action,
                                "entity": spec.name, "record_id": record_id, "detail": info})

    # --- writing -------------------------------------------------------------------------------

    def _write(self) -> None:
        conn = self.session.connection()
        created_feed: list[dict[str, Any]] = []
        moved_feed: list[dict[str, Any]] = []
        for name, recs in self.records.items():
            spec = self.registry.entities[name]
            created = [r.values for r in recs.values() if r.is_new]
            changed = [r.values for r in recs.values() if r.dirty and not r.is_new]
            if created:
                _insert_many(conn, spec.table, created)
            if changed:
                _update_many(conn, spec.table, changed)
            created_feed += [{"entity": name, "record_id": v["id"], "seq": v["seq"],
                              "village_id": self._village_of(spec, v)} for v in created]
            moved_feed += [{"entity": name, "record_id": v["id"], "seq": v["seq"],
                            "village_id": self._village_of(spec, v)} for v in changed]
        feed = _any_table(self.registry, "change_feed")
        if created_feed:
            _insert_many(conn, feed, created_feed)
        if moved_feed:
            record_departures(self.session, moved_feed)  # the phones of a village a record left
            _upsert_feed(conn, feed, moved_feed)
        for table, rows in (("conflict", self.conflict_rows), ("sync_op", self.new_ops),
                            ("audit_log", self.audit_rows)):
            if rows:
                _insert_many(conn, _any_table(self.registry, table), rows)
        self._move_dependents()
        if self.deleted and self.registry.on_deleted is not None:
            self.registry.on_deleted(self.session, self.deleted, self._reserve, self.actor.user_id)

    def _move_dependents(self) -> None:
        """Records that moved village in this batch take their dependents along (`sync.changes`)."""
        for name, recs in self.records.items():
            spec = self.registry.entities[name]
            # A record with neither dependents nor followers (a sage's review tasks) has nothing to take.
            if spec.scope != "village_id" or not (dependents_of(self.registry, name) or self.registry.followers):
                continue
            for rec in recs.values():
                if rec.is_new or not rec.dirty or rec.values["village_id"] == rec.loaded_village_id:
                    continue
                move_dependents(self.session, self.registry, entity=name, record_id=rec.values["id"],
                                village_id=rec.values["village_id"], next_seqs=self._reserve)

    def _reserve(self, count: int) -> int:
        first = self.seq + 1
        self.seq += count
        return first


def _any_table(registry: Registry, name: str) -> Table:
    spec = next(iter(registry.entities.values()))
    return spec.table.metadata.tables[name]


# Bulk writes go straight to the driver's executemany with SQLAlchemy's own per-type converters
# (JSON, dates, booleans): the same values SQLAlchemy would send, without its per-row overhead,
# which at 1,000 rows a table is most of a push's time.

def _driver_rows(conn, table: Table, columns: list[str], rows: list[dict[str, Any]]) -> list[tuple]:
    dialect = conn.dialect
    converters = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            converters.append(_json_text)
            continue
        convert = column_type._cached_bind_processor(dialect)
        # A batch shares most scalar values (its timestamp, user, device): convert each once.
        converters.append(_memo(convert) if convert else None)
    pairs = list(zip(columns, converters))
    return [tuple(convert(row[c]) if convert else row[c] for c, convert in pairs) for row in rows]


def _json_text(value: Any) -> str:
    return msgspec.json.encode(value).decode()  # None is stored as JSON null, as SQLAlchemy does


def _memo(convert):
    cache: dict[Any, Any] = {}

    def converted(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            cache[value] = result = convert(value)
            return result
        except TypeError:  # unhashable
            return convert(value)
    return converted


def _marker(conn) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _insert_many(conn, table: Table, rows: list[dict[str, Any]]) -> None:
    columns = [c for c in rows[0] if c in table.c]
    quote = conn.dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
           f"VALUES ({', '.join([_marker(conn)] * len(columns))})")
    conn.exec_driver_sql(sql, _driver_rows(conn, table, columns, rows))


def _update_many(conn, table: Table, rows: list[dict[str, Any]]) -> None:
    columns = [c for c in rows[0] if c in table.c and c != "id"]
    quote = conn.dialect.identifier_preparer.quote
    mark = _marker(conn)
    sql = (f"UPDATE {quote(table.name)} SET {', '.join(f'{quote(c)} = {mark}' for c in columns)} "
           f"WHERE id = {mark}")
    conn.exec_driver_sql(sql, _driver_rows(conn, table, [*columns, "id"], rows))


def _upsert_feed(conn, table: Table, rows: list[dict[str, Any]]) -> None:
    """Point existing records' feed rows at their latest seq (inserting any that were never fed)."""
    mark = _marker(conn)
    sql = (f"INSERT INTO change_feed (entity, record_id, seq, village_id) VALUES ({mark}, {mark}, {mark}, {mark}) "
           "ON CONFLICT (entity, record_id) DO UPDATE SET seq = excluded.seq, village_id = excluded.village_id")
    conn.exec_driver_sql(sql, [(r["entity"], r["record_id"], r["seq"], r["village_id"]) for r in rows])


def apply_push(session: Session, registry: Registry, actor: Actor, ops: list[Op],
               now: datetime | None = None) -> PushOutcome:
    """Apply `ops` in order inside the caller's transaction (the caller commits) and answer each."""
    return Batch(session, registry, actor, ops, now=now).run()


@lru_cache(maxsize=64)
def _records_statement(table: Table, natural_key: tuple[str, ...]) -> Any:
    """The records of `table` whose id is one of `:ids` or whose natural key's parts are each one of the
    values asked for that part (`:key_<part>`; the caller keeps only the keys it asked): built once per
    table."""
    return select(table).where(or_(in_list(table.c.id, "ids"),
                                   and_(*(in_list(table.c[part], f"key_{i}") for i, part in enumerate(natural_key)))))


@lru_cache(maxsize=8)
def _ops_statement(sync_op: Table, device: Table) -> Any:
    """The stored answers of the ops `:ids`, with the user of the device that sent each: built once."""
    return (select(sync_op.c.op_id, sync_op.c.result, sync_op.c.content_hash, sync_op.c.device_id, device.c.user_id)
            .outerjoin(device, device.c.id == sync_op.c.device_id)
            .where(in_list(sync_op.c.op_id, "ids")))
