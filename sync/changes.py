"""Stamping a change: allocate its `seq`, record per-field versions, and move it in the change feed.

Every write to a synced record — a phone's push or an office page — goes through `stamp_change`,
so pulls see office edits too and field-level merges know who changed what, when.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from sync.spec import utc_now

if TYPE_CHECKING:
    from sync.spec import Registry

# Why pulls never skip a change, on SQLite and on PostgreSQL under READ COMMITTED
# ------------------------------------------------------------------------------
# Every transaction that writes synced records first UPDATEs the single `sync_counter` row. That
# UPDATE takes the row's lock, which is held until the transaction commits or rolls back, so at
# most one such transaction is past that point at a time. A second writer blocks on the lock; when
# the first commits, PostgreSQL re-reads the row (READ COMMITTED re-evaluates an updated row) and
# the second continues from the value the first left. Hence:
#   * seqs are handed out in lock order, and each writer commits before the next gets the lock:
#     commits happen in seq order, with no gaps left open behind a committed seq;
#   * PostgreSQL makes a transaction visible to new snapshots before it releases its locks, so when
#     a writer holding seqs up to N has committed, every seq below N is already visible;
#   * a pull reads the change feed in one snapshot; if that snapshot contains seq N it contains
#     every committed seq below N, so the cursor it returns (the last seq it sent) never has a
#     committed change behind it that the puller has not seen.
# A push takes the lock *before* it reads the records it merges against (`lock_counter`), so the
# reads see every earlier commit and two processes cannot both merge against the same old state
# (a lost update). Office writes do the same through `server.synced.write.save_synced`: the lock first,
# then the record read again and its seq compared with the one the form was loaded with.
# On SQLite every write transaction begins IMMEDIATE (server/core/db.py), which serializes writers the
# same way. The price is that sync writers run one at a time; a 1,000-op push holds the lock for
# tens of milliseconds.


def current_seq(session: Session) -> int:
    """The last seq handed out, as this transaction sees it (no lock taken)."""
    return session.execute(_CURRENT).scalar_one()


def lock_counter(session: Session) -> int:
    """Take the counter row's lock for this transaction and return the last seq handed out."""
    return session.execute(_LOCK).scalar_one()


def set_counter(session: Session, value: int) -> None:
    """Record the last seq used by a transaction that already holds the lock (`lock_counter`)."""
    session.execute(_SET, {"v": value})


def allocate_seqs(session: Session, count: int = 1) -> int:
    """Reserve `count` consecutive seqs and return the first.

    The UPDATE takes the counter row's lock until this transaction ends, so transactions that write
    synced records commit one after another in seq order: no committed seq can appear below a seq a
    pull has already returned (SYNC.md, Pull), on SQLite and on PostgreSQL alike.
    """
    last = session.execute(_ALLOCATE, {"n": count}).scalar_one()
    return last - count + 1


# The statements every office write runs, built once (building one costs more than SQLite's answer).
_CURRENT = text("SELECT value FROM sync_counter WHERE id = 1")
_LOCK = text("UPDATE sync_counter SET value = value WHERE id = 1 RETURNING value")
_SET = text("UPDATE sync_counter SET value = :v WHERE id = 1")
_ALLOCATE = text("UPDATE sync_counter SET value = value + :n WHERE id = 1 RETURNING value")
_FEED_VILLAGE = text("SELECT village_id FROM change_feed WHERE entity = :e AND record_id = :r")
_FEED_INSERT = text("INSERT INTO change_feed (entity, record_id, seq, village_id) VALUES (:e, :r, :seq, :v)")
_FEED_UPDATE = text("UPDATE change_feed SET seq = :seq, village_id = :v WHERE entity = :e AND record_id = :r")
_DEPARTURES_INSERT = text("INSERT INTO feed_departure (seq, entity, record_id, village_id) "
                          "VALUES (:seq, :entity, :record_id, :village_id)")
_UNREAD: Any = object()


def upsert_feed(session: Session, *, entity: str, record_id: str, seq: int, village_id: str | None,
                previous: tuple[str | None] | None = _UNREAD) -> None:
    """Point the record's single feed row at its latest seq (each record appears once in a pull).

    A row that changes village leaves a departure behind (see "Records that leave a village" below).
    `previous`: the row's village as `_feed_village` read it in this transaction, if it was.
    """
    params = {"seq": seq, "v": village_id, "e": entity, "r": record_id}
    if previous is _UNREAD:
        previous = _feed_village(session, entity, record_id)
    if previous is None:
        session.execute(_FEED_INSERT, params)
        return
    session.execute(_FEED_UPDATE, params)
    if previous[0] is not None and previous[0] != village_id:
        _insert_departures(session, [{"seq": seq, "entity": entity, "record_id": record_id,
                                      "village_id": previous[0]}])


def stamp_change(session: Session, record: Any, *, entity: str, fields: Iterable[str],
                 village_id: str | None, user_id: int | None, device_id: str | None = None,
                 seq: int | None = None, registry: "Registry | None" = None) -> int:
    """Give `record` a new seq, mark `fields` as changed at that seq, and update the feed.

    The caller has already set the new field values on `record` (an ORM object with the `Synced`
    columns) and adds/commits it; returns the seq. With `registry`, a record that moves to another
    village (a household's `village_id` edited in the office) takes its dependents along
    (`move_dependents`); the caller holds the counter lock, as every office write does.
    """
    previous = _feed_village(session, entity, record.id) if registry is not None else _UNREAD
    seq = seq if seq is not None else allocate_seqs(session)
    versions = dict(record.field_versions or {})
    for name in fields:
        versions[name] = {"seq": seq, "device": device_id, "user": user_id}
    record.field_versions = versions
    record.seq = seq
    record.updated_at = utc_now()
    record.updated_by_user_id = user_id
    record.updated_by_device_id = device_id
    session.add(record)
    session.flush()
    upsert_feed(session, entity=entity, record_id=record.id, seq=seq, village_id=village_id,
                previous=previous)
    if registry is not None and previous is not None and previous[0] != village_id:
        move_dependents(session, registry, entity=entity, record_id=record.id, village_id=village_id,
                        next_seqs=lambda n: allocate_seqs(session, n) if n else 0)
    return seq


def _feed_village(session: Session, entity: str, record_id: str) -> tuple[str | None] | None:
    """(village,) of the record's feed row, or None when the record has never been fed."""
    row = session.execute(_FEED_VILLAGE, {"e": entity, "r": record_id}).first()
    return (row[0],) if row is not None else None


# Records that follow another record's village
# --------------------------------------------
# An enrollment, an attendance or a survey has no village of its own: it is in its household's
# village (`EntitySpec.scope` names the reference). When a household moves to another village, its
# dependents' feed rows must move with it, or the new area's phones never pull them and the old
# area's phones keep receiving their changes. `move_dependents` points each dependent's feed row at
# the new village and gives the dependent a new seq (its values are unchanged, so no field version
# moves and no device will see a conflict): a phone of the new area pulls them after the household,
# whatever its cursor.
#
# The old area's phones must drop their copies (personal data stays only on phones that cover it),
# so each move leaves a departure behind: see below.

def dependents_of(registry: "Registry", entity: str) -> list[tuple[str, Any, str]]:
    """(entity, table, reference column) of every entity whose village is that of an `entity` record."""
    return [(spec.name, spec.table, spec.scope) for spec in registry.entities.values()
            if spec.scope in spec.refs and spec.refs[spec.scope] == entity]


def move_dependents(session: Session, registry: "Registry", *, entity: str, record_id: str,
                    village_id: str | None, next_seqs: Callable[[int], int]) -> int:
    """Move the feed rows of `record_id`'s dependents to `village_id`, each with a new seq.

    `next_seqs(n)` reserves n consecutive seqs under the counter lock the caller holds and returns
    the first (the push engine hands out its own; office pages use `allocate_seqs`). Returns how
    many records moved. Dependents of dependents (none today) would need the same walk. The
    registry's `followers` of the record and of its dependents move too, their own village column
    set to `village_id`.
    """
    found: list[tuple[str, Any, str]] = []
    for name, table, column in dependents_of(registry, entity):
        ids = session.execute(select(table.c.id).where(table.c[column] == record_id)
                              .order_by(table.c.seq)).scalars().all()
        found += [(name, table, rid) for rid in ids]
    following = []
    if registry.followers is not None:
        following = registry.followers(session, [(entity, record_id), *((name, rid) for name, _t, rid in found)])
    if not found and not following:
        return 0
    first = next_seqs(len(found) + len(following))
    for offset, (name, table, rid) in enumerate(found):
        seq = first + offset
        session.execute(table.update().where(table.c.id == rid).values(seq=seq))
        upsert_feed(session, entity=name, record_id=rid, seq=seq, village_id=village_id)
    for offset, (name, table, rid) in enumerate(following, start=len(found)):
        seq = first + offset
        session.execute(table.update().where(table.c.id == rid).values(seq=seq, village_id=village_id))
        upsert_feed(session, entity=name, record_id=rid, seq=seq, village_id=village_id)
    return len(found) + len(following)


# Records that leave a village
# ----------------------------
# Whenever a feed row's village changes — a household moved in the office or by a push, and each
# dependent moved along with it — a `feed_departure` row keeps (entity, record, the village it left)
# at the seq of the move: the feed row's new seq, handed out under the counter lock in the same
# transaction, so departures become visible in seq order exactly as feed rows do and a pull can merge
# the two streams without ever skipping one. A pull then tells a phone of the old village, once, that
# the record is `out_of_area` (SYNC.md, Pull) — unless the record's village now is in that phone's
# area too, in which case the phone simply receives the record itself. The record stays on the
# server; the departure row only remembers where it was. Pushes from the old area's phones to these
# records are answered `forbidden`, so nothing a phone still holds can overwrite the new area's data.
# (A user's area made smaller is the other way out of an area; sync.pull handles it from the cursor.)

def record_departures(session: Session, rows: list[dict[str, Any]]) -> int:
    """Record the departures among feed rows about to be pointed at `village_id` in bulk (a push).

    `rows` are {"entity", "record_id", "seq", "village_id"} for records that already have a feed row;
    call it before writing them. Returns how many left their village.
    """
    wanted: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        wanted[row["entity"]][row["record_id"]] = row
    query = text("SELECT record_id, village_id FROM change_feed WHERE entity = :e AND record_id IN :ids"
                 ).bindparams(bindparam("ids", expanding=True))
    departures: list[dict[str, Any]] = []
    for entity, by_id in wanted.items():
        ids = list(by_id)
        for start in range(0, len(ids), 900):
            for record_id, previous in session.execute(query, {"e": entity, "ids": ids[start:start + 900]}):
                new = by_id[record_id]
                if previous is not None and previous != new["village_id"]:
                    departures.append({"seq": new["seq"], "entity": entity, "record_id": record_id,
                                       "village_id": previous})
    _insert_departures(session, departures)
    return len(departures)


def _insert_departures(session: Session, departures: list[dict[str, Any]]) -> None:
    if departures:
        session.execute(_DEPARTURES_INSERT, departures)
