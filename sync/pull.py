"""Answering a pull: the changes in the user's area after a cursor, each record once, in seq order.

The change feed holds one row per record (its latest seq and its village), indexed on
(village_id, seq). A page is read as one bounded index range per village of the user's area,
merged by seq, so its cost depends on the page size and the number of villages, never on the size
of the database. Why no committed change can fall behind a returned cursor is explained in
`sync.changes`.
"""
from __future__ import annotations

import base64
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, literal_column, select, union_all
from sqlalchemy.orm import Session

from sync.spec import Registry, to_api

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
_VILLAGES_PER_QUERY = 50  # SQLite allows 500 terms in a compound SELECT; keep statements small


class BadCursor(ValueError):
    """The cursor was not made by this server (or is from an unsupported version)."""


@dataclass
class Cursor:
    seq: int = 0
    area: str | None = None  # fingerprint of the area it was made for; a new area starts over
    tables: dict[str, str] = field(default_factory=dict)  # fingerprints of reference tables sent

    def encode(self) -> str:
        raw = json.dumps({"v": 1, "s": self.seq, "a": self.area, "t": self.tables},
                         separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> "Cursor":
        if not text:
            return cls()
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = json.loads(raw)
        except (ValueError, TypeError):
            raise BadCursor(text) from None
        if not isinstance(data, dict) or data.get("v") != 1:
            raise BadCursor(text)
        seq, area, tables = data.get("s"), data.get("a"), data.get("t", {})
        if (not isinstance(seq, int) or isinstance(seq, bool) or seq < 0
                or not (area is None or isinstance(area, str)) or not isinstance(tables, dict)
                or not all(isinstance(k, str) and isinstance(v, str) for k, v in tables.items())):
            raise BadCursor(text)
        return cls(seq=seq, area=area, tables=tables)


@dataclass
class Page:
    changes: list[dict[str, Any]]
    cursor: str
    has_more: bool


def fingerprint(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _feed_rows(session: Session, feed: Table, area: set[str] | None, after: int, limit: int) -> list[tuple]:
    columns = (feed.c.entity, feed.c.record_id, feed.c.seq)
    if area is None:
        stmt = select(*columns).where(feed.c.seq > after).order_by(feed.c.seq).limit(limit)
        return list(session.execute(stmt))
    rows: list[tuple] = []
    villages = sorted(area)
    for start in range(0, len(villages), _VILLAGES_PER_QUERY):
        # One index range per village, each already limited: the union never reads more than
        # villages × limit rows, whatever the size of the feed.
        parts = [select(*columns).where(feed.c.village_id == village, feed.c.seq > after)
                 .order_by(feed.c.seq).limit(limit).subquery().select()
                 for village in villages[start:start + _VILLAGES_PER_QUERY]]
        stmt = (parts[0] if len(parts) == 1 else union_all(*parts))
        stmt = stmt.order_by(literal_column("seq")).limit(limit)
        rows.extend(session.execute(stmt))
    rows.sort(key=lambda row: row[2])
    return rows[:limit]


def _reference_items(session: Session, registry: Registry, known: dict[str, str]
                     ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The reference-table items this puller still lacks, in order, and every table's fingerprint.

    `known` maps a table to its fingerprint once the puller has all of it, or to
    "<fingerprint>:<n>" while only its first n items have been sent (a page too small for the
    whole table). A table that changed since is sent again whole.
    """
    pending: list[dict[str, Any]] = []
    prints: dict[str, str] = {}
    for name, loader in registry.reference_tables.items():
        items = loader(session)
        prints[name] = fingerprint(items)
        sent = known.get(name, "")
        if sent == prints[name]:
            continue
        done = 0
        head, _, count = sent.partition(":")
        if head == prints[name] and count.isascii() and count.isdigit():
            done = min(int(count), len(items))
        pending.extend({"table": name, "index": index, "item": item}
                       for index, item in enumerate(items) if index >= done)
    return pending, prints


def pull_page(session: Session, registry: Registry, *, area: set[str] | None, cursor: Cursor,
              limit: int = DEFAULT_LIMIT) -> Page:
    """One page of changes after `cursor` for a user whose area is `area` (None: everything).

    A page holds at most `limit` changes. Reference tables (occupations) are not in the change feed:
    when the puller lacks them (first pull, a new area, or the table changed) their items come
    first, counted against the limit, and carry the cursor's seq — the position in the feed at which
    they were sent — so a page stays ordered by seq. Items that do not fit come on the next pages
    (the cursor remembers how many were sent) before any further record.
    """
    area_print = fingerprint(sorted(area)) if area is not None else None
    same_area = cursor.area == area_print
    after = cursor.seq if same_area else 0  # a changed area is sent again whole
    known = cursor.tables if same_area else {}
    feed = next(iter(registry.entities.values())).table.metadata.tables["change_feed"]

    pending, prints = _reference_items(session, registry, known)
    sending = pending[:limit]
    room = limit - len(sending)
    tables = {name: fp for name, fp in prints.items()
              if name not in {p["table"] for p in pending}}
    for name in {p["table"] for p in pending}:
        count = max((p["index"] + 1 for p in sending if p["table"] == name), default=None)
        finished = not any(p["table"] == name for p in pending[len(sending):])
        if finished:
            tables[name] = prints[name]
        elif count is not None:
            tables[name] = f"{prints[name]}:{count}"
        elif known.get(name, "").partition(":")[0] == prints[name]:
            tables[name] = known[name]  # nothing of it fits yet: keep what was sent

    rows = _feed_rows(session, feed, area, after, room + 1) if area is None or area else []
    has_more = len(rows) > room or len(pending) > len(sending)
    rows = rows[:room]

    wanted: dict[str, list[str]] = defaultdict(list)
    for entity, record_id, _seq in rows:
        if entity in registry.entities:
            wanted[entity].append(record_id)
    loaded: dict[tuple[str, str], dict[str, Any]] = {}
    for entity, ids in wanted.items():
        spec = registry.entities[entity]
        found: dict[str, dict[str, Any]] = {}
        meta: dict[str, tuple[int, bool]] = {}
        for start in range(0, len(ids), 900):
            for row in session.execute(select(spec.table).where(
                    spec.table.c.id.in_(ids[start:start + 900]))).mappings():
                found[row["id"]] = {name: to_api(row[name]) for name in spec.kinds if name in row}
                meta[row["id"]] = (row["seq"], bool(row["deleted"]))
        if spec.enrich and found:
            spec.enrich(session, found)
        for record_id, fields in found.items():
            seq, deleted = meta[record_id]
            loaded[(entity, record_id)] = {"entity": entity, "id": record_id, "seq": seq,
                                           "deleted": deleted, "fields": fields}

    changes: list[dict[str, Any]] = [
        {"entity": p["table"], "id": str(p["item"]["id"]), "seq": after,
         "deleted": bool(p["item"].get("deleted", False)),
         "fields": {k: v for k, v in p["item"].items() if k not in ("id", "deleted")}}
        for p in sending]
    changes.extend(loaded[(e, r)] for e, r, _s in rows if (e, r) in loaded)
    last = rows[-1][2] if rows else after
    return Page(changes=changes, cursor=Cursor(seq=last, area=area_print, tables=tables).encode(),
                has_more=has_more)
