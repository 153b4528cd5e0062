"""What the engine knows about an entity: its table, fields, natural key, scope and validation.

The engine never imports the server: `server/synced/specs.py` builds a `Registry` of these specs from
the models and the rules and hands it in. Everything here is plain data and small callables.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, Table, bindparam, select
from sqlalchemy.orm import Session

from sync.lists import in_list


class Error(Protocol):
    """A field error as the rules module makes them (field, code and the message in two languages)."""

    field: str
    code: str

    def as_api(self) -> dict[str, Any]: ...


Validator = Callable[[dict[str, Any]], list[Error]]  # validate(whole record) -> errors


class Records(Protocol):
    """What a `check` may read: the records as the writer sees them at that moment.

    In a push, the records that earlier ops of the same batch created or changed count as written
    (the batch writes them only at its end); on an office page they are in the database already.
    """

    session: Session

    def rows(self, entity: str, **equal: Any) -> list[dict[str, Any]]: ...  # deleted ones included

    def get(self, entity: str, record_id: Any) -> dict[str, Any] | None: ...


# check(records, whole record, its id) -> errors: rules that read other records (a citizen ID
# already registered, a training's target). Called after `validate` found nothing and every
# reference is known, under the change counter's lock, so what it reads cannot change before the write.
Checker = Callable[[Records, dict[str, Any], str], list[Error]]



def utc_now() -> dt.datetime:
    """The engine's clock: when a change was stamped, in UTC. (It knows nothing of the server; the
    server's own clock, with Thailand's "today", is `server.core.dates`.)"""
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class ErrorCatalog:
    """The engine's own error messages, supplied by the server so wording lives with the rules."""

    unknown_entity: Callable[[str], Error]
    unknown_field: Callable[[str], Error]
    unknown_reference: Callable[[str], Error]
    forbidden: Callable[[str], Error]
    deleted: Callable[[str], Error]
    not_found: Callable[[str], Error]
    immutable: Callable[[str], Error]
    invalid: Callable[[str], Error]
    required: Callable[[str], Error]
    op_id_taken: Callable[[str], Error]


@dataclass
class EntitySpec:
    """One entity of the contract.

    `kinds` maps every pushable/pulled field to a storage kind (`text`, `int`, `bool`, `date`,
    `list`, `ref`); `refs` maps reference fields to the entity they point at; `scope` is the field
    that decides the record's village: `village_id` itself, a reference field whose target's
    village counts, or `id` for the village entity.
    """

    name: str
    table: Table
    kinds: dict[str, str]
    scope: str
    refs: dict[str, str] = field(default_factory=dict)
    natural_key: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    pushable: bool = True
    validate: Validator | None = None
    check: Checker | None = None
    # Turns typed-in values into their stored form before validation (e.g. citizen-ID dashes).
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # (id, village_id, deleted) of the records `:ids` (a list, see `sync.lists`): how references
    # to this entity are resolved. A statement built once: the engine runs it for every push.
    scope_select: Select | None = None
    # Adds derived fields to pulled records (e.g. a team's member ids): enrich(session, {id: fields}).
    enrich: Callable[[Session, dict[str, dict[str, Any]]], None] | None = None
    # Columns the server keeps from a record's own fields, never pushed or pulled (e.g. a sort key):
    # derived(stored values) -> {column: value}, applied whenever the engine writes the record.
    derived: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    # What a phone (a push from a device) may do to this entity, beyond its rules:
    # device_check(stored values or None when new, action, pushed fields) -> errors. Server-side
    # pushes (no device: a supervisor's resolution, a merge) are not limited by it.
    device_check: Callable[[dict[str, Any] | None, str, dict[str, Any]], list[Error]] | None = None
    # Whether the record may change at all (a training round signed off locks its records):
    # locked(records, the record's values, its id) -> errors (code `locked`). Asked of the stored
    # record and of what it would become, on every create, edit and delete, whoever pushes.
    locked: Checker | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.kinds)

    def village_field_is_local(self) -> bool:
        return self.scope in ("village_id", "id")


@dataclass
class Registry:
    entities: dict[str, EntitySpec]
    errors: ErrorCatalog
    # Small configuration tables sent whole whenever they change (occupations): name -> loader.
    reference_tables: dict[str, Callable[[Session], list[dict[str, Any]]]] = field(default_factory=dict)
    # Called by a push that deleted records, inside its transaction and under the counter lock:
    # on_deleted(session, [(entity, record id)], next_seqs, user id). `next_seqs(n)` reserves n seqs
    # for records it changes in turn (a review task closed because its record is gone).
    on_deleted: Callable[[Session, list[tuple[str, str]], Callable[[int], int], int | None], None] | None = None
    # Records with a village column of their own that go wherever other records go (a supervisor's
    # task on a household, or on its survey): followers(session, [(entity, record id)]) ->
    # [(entity, table, record id)]. A household that moves takes them along (`sync.changes`).
    followers: Callable[[Session, list[tuple[str, str]]], list[tuple[str, Any, str]]] | None = None

    def pushable(self, name: str) -> EntitySpec | None:
        spec = self.entities.get(name)
        return spec if spec is not None and spec.pushable else None


class StoredRecords:
    """`Records` read straight from the database (a writer that flushes each record it saves)."""

    def __init__(self, session: Session, registry: Registry) -> None:
        self.session = session
        self.registry = registry

    def rows(self, entity: str, **equal: Any) -> list[dict[str, Any]]:
        table = self.registry.entities[entity].table
        stmt = select(table).where(*(table.c[name] == value for name, value in equal.items()))
        return [dict(row) for row in self.session.execute(stmt).mappings()]

    def get(self, entity: str, record_id: Any) -> dict[str, Any] | None:
        if not isinstance(record_id, str):
            return None
        found = self.rows(entity, id=record_id)
        return found[0] if found else None


# --- values -----------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def rows_with(table: Table, column: str) -> Select:
    """The rows of `table` whose `column` is one of `:ids` (a list: `sync.lists`), built once per table and
    column (the engine reads records by id or reference for every push)."""
    return select(table).where(in_list(table.c[column], "ids"))


def one_of(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN (values)` as one expanding parameter: `in_` of a list coerces every value into an
    expression first, which for a page of 200 ids cost more than the query."""
    return column.in_(bindparam(None, list(values), expanding=True))


def to_storage(kind: str, value: Any) -> Any:
    """A validated API value in the form its column stores (dates arrive as ISO text)."""
    if value is None:
        return None
    if kind == "date" and not isinstance(value, dt.date):
        return dt.date.fromisoformat(str(value))
    if kind == "list":
        return list(value)
    return value


def to_api(value: Any) -> Any:
    """A stored value as JSON carries it: dates and times as ISO text."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
