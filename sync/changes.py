"""Stamping a change: allocate its `seq`, record per-field versions, and move it in the change feed.

Every write to a synced record — a phone's push or an office page — goes through `stamp_change`,
so pulls see office edits too and field-level merges know who changed what, when.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def allocate_seqs(session: Session, count: int = 1) -> int:
    """Reserve `count` consecutive seqs and return the first.

    The UPDATE takes the counter row's lock until this transaction ends, so transactions that write
    synced records commit one after another in seq order: no committed seq can appear below a seq a
    pull has already returned (SYNC.md, Pull), on SQLite and on PostgreSQL alike.
    """
    last = session.execute(
        text("UPDATE sync_counter SET value = value + :n WHERE id = 1 RETURNING value"), {"n": count}
    ).scalar_one()
    return last - count + 1


def upsert_feed(session: Session, *, entity: str, record_id: str, seq: int, village_id: str | None) -> None:
    """Point the record's single feed row at its latest seq (each record appears once in a pull)."""
    updated = session.execute(
        text("UPDATE change_feed SET seq = :seq, village_id = :v WHERE entity = :e AND record_id = :r"),
        {"seq": seq, "v": village_id, "e": entity, "r": record_id},
    ).rowcount
    if not updated:
        session.execute(
            text("INSERT INTO change_feed (entity, record_id, seq, village_id) VALUES (:e, :r, :seq, :v)"),
            {"seq": seq, "v": village_id, "e": entity, "r": record_id},
        )


def stamp_change(session: Session, record: Any, *, entity: str, fields: Iterable[str],
                 village_id: str | None, user_id: int | None, device_id: str | None = None,
                 seq: int | None = None) -> int:
    """Give `record` a new seq, mark `fields` as changed at that seq, and update the feed.

    The caller has already set the new field values on `record` (an ORM object with the `Synced`
    columns) and adds/commits it; returns the seq.
    """
    seq = seq if seq is not None else allocate_seqs(session)
    versions = dict(record.field_versions or {})
    for name in fields:
        versions[name] = {"seq": seq, "device": device_id, "user": user_id}
    record.field_versions = versions
    record.seq = seq
    record.updated_at = datetime.now(timezone.utc)
    record.updated_by_user_id = user_id
    record.updated_by_device_id = device_id
    session.add(record)
    session.flush()
    upsert_feed(session, entity=entity, record_id=record.id, seq=seq, village_id=village_id)
    return seq
