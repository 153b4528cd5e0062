"""Answering a pull: the changes in the user's area after a cursor, each record once, in seq order.

The change feed holds one row per record (its latest seq and its village), indexed on
(village_id, seq). A page is read as one bounded index range per village of the user's area,
merged by seq, so its cost depends on the page size and the number of villages, never on the size
of the database. Why no committed change can fall behind a returned cursor is explained in
`sync.changes`.

Records leaving the area come as `out_of_area` (SYNC.md, Pull), merged into the same seq order:
  * a record moved to a village outside the area: its departure (`sync.changes`), read by seq after
    the cursor, so the cost grows with the moves since the cursor;
  * a user's area made smaller: the cursor names the area it was made for by a fingerprint, and
    `pull_area` keeps the villages behind each fingerprint. When the area differs, the pull starts
    over (the new area is sent whole, as before) and meanwhile sends every record of the villages
    the phone had and lost as `out_of_area`; the cursor carries the old area's fingerprint until
    that pass has caught up, even across several pages or further changes of the area.
Each departure is sent once per device: the cursor's `told` is the seq up to which the phone has
heard every departure that concerns it (a new phone has heard all of them: it holds nothing).

The cursor is sealed: its text carries an HMAC of its content under a key the server hands in (one
per device), so a phone cannot forge or alter it, nor use another device's. `out_of_area` does not
rest on the seal alone: the areas a cursor says the phone holds are taken only if this device was
answered them before (`device_pull_area`, kept by `remember_sent`), and departures only from the
moment it was first answered its area; a cursor ahead of the server's counter (a database restored
from a backup) is `CursorAhead`, for the phone to start over.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, DateTime, Integer, Table, bindparam, literal_column, select, text, union_all
from sqlalchemy.orm import Session

from sync.changes import current_seq
from sync.lists import in_list
from sync.spec import Registry, to_api

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
_VILLAGES_PER_QUERY = 50  # SQLite allows 500 terms in a compound SELECT; keep statements small
EVERYWHERE = "*"  # the area of a user who sees everything (an administrator), in a cursor's `held`
_HELD_MAX = 16  # area fingerprints a cursor keeps while it catches up (areas rarely change that often)
OUT_OF_AREA = "out_of_area"


class BadCursor(ValueError):
    """The cursor was not made by this server for this device (or is from an unsupported version)."""


class CursorAhead(ValueError):
    """The cursor names changes the server does not have (its database was restored from a backup)."""


def _seal(key: bytes, payload: str) -> str:
    mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


@dataclass
class Cursor:
    seq: int = 0
    area: str | None = None  # fingerprint of the area it was made for; a new area starts over
    tables: dict[str, str] = field(default_factory=dict)  # fingerprints of reference tables sent
    # Every departure at or below this seq that concerns the phone has been sent (see the module doc).
    told: int = 0
    # Fingerprints of earlier areas whose records the phone may still hold: after an area change, until
    # the pass that tells it which ones left has caught up. EVERYWHERE stands for "every village".
    held: list[str] = field(default_factory=list)

    def encode(self, key: bytes) -> str:
        """The cursor's text: its content and an HMAC of it under `key` (`decode` checks it)."""
        data: dict[str, Any] = {"v": 1, "s": self.seq, "a": self.area, "t": self.tables}
        if self.told > self.seq:
            data["d"] = self.told
        if self.held:
            data["o"] = self.held
        raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
        payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return f"{payload}.{_seal(key, payload)}"

    @property
    def is_new(self) -> bool:
        """No pull has answered it yet: the phone holds nothing from the feed."""
        return self == Cursor()

    @classmethod
    def decode(cls, text: str | None, key: bytes) -> "Cursor":
        """The cursor behind `text`, made by `encode` with the same key; BadCursor otherwise.

        The seal is checked (in constant time) before anything of the content is read.
        """
        if not text:
            return cls()
        payload, dot, mac = text.rpartition(".")
        if not dot or not hmac.compare_digest(mac.encode(), _seal(key, payload).encode()):
            raise BadCursor(text)
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            data = json.loads(raw)
        except (ValueError, TypeError):
            raise BadCursor(text) from None
        if not isinstance(data, dict) or data.get("v") != 1:
            raise BadCursor(text)
        seq, area, tables = data.get("s"), data.get("a"), data.get("t", {})
        told, held = data.get("d", 0), data.get("o", [])
        if (not _is_count(seq) or not _is_count(told)
                or not (area is None or isinstance(area, str)) or not isinstance(tables, dict)
                or not all(isinstance(k, str) and isinstance(v, str) for k, v in tables.items())
                or not isinstance(held, list) or not all(isinstance(h, str) for h in held)):
            raise BadCursor(text)
        return cls(seq=seq, area=area, tables=tables, told=told, held=held)


_SEQ_END = 2**63  # a seq is a signed 64-bit integer in the database: a larger one cannot be asked for


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _SEQ_END


@dataclass
class Page:
    changes: list[dict[str, Any]]
    cursor: str
    has_more: bool


def fingerprint(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _feed_rows(session: Session, feed: Table, area: set[str] | None, after: int, limit: int) -> list[tuple]:
    """(entity, record id, seq, village) of the first `limit` feed rows after `after` in `area`."""
    if area is None:
        columns = (feed.c.entity, feed.c.record_id, feed.c.seq, feed.c.village_id)
        stmt = select(*columns).where(feed.c.seq > after).order_by(feed.c.seq).limit(limit)
        return list(session.execute(stmt))
    rows: list[tuple] = []
    villages = sorted(area)
    for start in range(0, len(villages), _VILLAGES_PER_QUERY):
        chunk = villages[start:start + _VILLAGES_PER_QUERY]
        params = {"after": after, **{f"village_{n}": village for n, village in enumerate(chunk)}}
        rows.extend(session.execute(_area_feed_statement(feed, len(chunk), limit), params))
    rows.sort(key=lambda row: row[2])
    return rows[:limit]


@lru_cache(maxsize=64)
def _changes_statement(table: Table, kinds: tuple[str, ...]) -> Any:
    """The records `:ids` of a table with what a change carries (its fields, seq and deleted; not the
    version map and timestamps), built once per table: a page of ids is one parameter (`sync.lists`)."""
    columns = [table.c[name] for name in dict.fromkeys(("id", "seq", "deleted", *kinds)) if name in table.c]
    return select(*columns).where(in_list(table.c.id, "ids"))


@lru_cache(maxsize=256)
def _area_feed_statement(feed: Table, villages: int, limit: int) -> Any:
    """The feed rows after `:after` of `villages` villages (`:village_0`…), at most `limit`: one index range
    per village, each already limited, so the union never reads more than villages × limit rows,
    whatever the size of the feed. Built once per shape and reused: building and keying a union of
    fifty selects cost a pull more than running it."""
    columns = (feed.c.entity, feed.c.record_id, feed.c.seq, feed.c.village_id)
    parts = [select(*columns).where(feed.c.village_id == bindparam(f"village_{n}"), feed.c.seq > bindparam("after"))
             .order_by(feed.c.seq).limit(limit).subquery().select()
             for n in range(villages)]
    stmt = parts[0] if len(parts) == 1 else union_all(*parts)
    return stmt.order_by(literal_column("seq")).limit(limit)


def _departure_rows(session: Session, feed: Table, departures: Table, villages: set[str],
                    after: int, limit: int) -> list[tuple]:
    """(entity, record id, seq) of the first `limit` departures after `after` from `villages` of
    records whose village now is none of them (those the phone receives, or drops, as feed rows).

    Read by seq from the cursor on: the cost grows with the moves since the cursor.
    """
    if not villages:
        return []
    listed = sorted(villages)
    return list(session.execute(_departures_statement(feed, departures),
                                {"left": listed, "here": listed, "after": after, "limit": limit}))


@lru_cache(maxsize=8)
def _departures_statement(feed: Table, departures: Table) -> Any:
    """The departures after `:after` from the villages `:left` of records now in none of the villages
    `:here` (the same list, bound twice), at most `:limit`: built once."""
    # NOT EXISTS, not a join: SQLite would build a Bloom filter over the whole feed for a join.
    still_here = (select(literal_column("1")).select_from(feed)
                  .where(feed.c.entity == departures.c.entity, feed.c.record_id == departures.c.record_id,
                         in_list(feed.c.village_id, "here")))
    return (select(departures.c.entity, departures.c.record_id, departures.c.seq)
            .where(departures.c.seq > bindparam("after", type_=departures.c.seq.type), in_list(departures.c.village_id, "left"),
                   ~still_here.exists())
            .order_by(departures.c.seq).limit(bindparam("limit", type_=Integer())))


def area_remembered(session: Session, area: set[str] | None) -> bool:
    """Whether the villages behind `area`'s fingerprint are kept (always, for "everything")."""
    if area is None:
        return True
    return session.execute(text("SELECT 1 FROM pull_area WHERE fingerprint = :f"),
                           {"f": fingerprint(sorted(area))}).first() is not None


def remember_area(session: Session, area: set[str] | None) -> None:
    """Keep the villages behind `area`'s fingerprint; the caller commits.

    Done once per distinct area, before a pull answers a cursor naming it: a later pull with that
    cursor looks the villages up to tell which ones the phone lost.
    """
    if area is not None:
        session.execute(text("INSERT INTO pull_area (fingerprint, village_ids) VALUES (:f, :v) "
                             "ON CONFLICT (fingerprint) DO NOTHING"),
                        {"f": fingerprint(sorted(area)), "v": ",".join(sorted(area))})


def areas_sent(session: Session, device_id: str) -> dict[str, int]:
    """The areas (fingerprints; EVERYWHERE for an administrator's) this device has been answered,
    each with the server's seq when it was first answered it."""
    rows = session.execute(text("SELECT fingerprint, since_seq FROM device_pull_area WHERE device_id = :d"),
                           {"d": device_id})
    return {fp: since for fp, since in rows}


def remember_sent(session: Session, device_id: str, area: set[str] | None) -> None:
    """Record, once per device and area, that the device is answered `area` from now on; the caller
    commits. Done before the pull that answers it: later pulls trust a cursor's areas only if here."""
    session.execute(text("INSERT INTO device_pull_area (device_id, fingerprint, since_seq) "
                         "SELECT :d, :f, value FROM sync_counter WHERE id = 1 "
                         "ON CONFLICT (device_id, fingerprint) DO NOTHING"),
                    {"d": device_id, "f": area_key(area)})


def area_key(area: set[str] | None) -> str:
    """The fingerprint of `area`, EVERYWHERE for "everything"."""
    return fingerprint(sorted(area)) if area is not None else EVERYWHERE


def _lost_villages(session: Session, registry: Registry, held: list[str], area: set[str]) -> set[str]:
    """Villages of the areas in `held` that `area` no longer covers.

    An area whose villages were never remembered (a cursor older than this bookkeeping) adds none.
    """
    villages: set[str] = set()
    prints = [p for p in held if p != EVERYWHERE]
    if prints:
        for (listed,) in session.execute(text("SELECT village_ids FROM pull_area WHERE fingerprint IN :p")
                                         .bindparams(bindparam("p", expanding=True)), {"p": prints}):
            villages.update(v for v in listed.split(",") if v)
    if EVERYWHERE in held:
        feed = _table(registry, "change_feed")
        for spec in registry.entities.values():
            if spec.scope == "id":  # the village entity: its records are the villages
                villages.update(session.execute(select(feed.c.record_id).where(feed.c.entity == spec.name)).scalars())
    return villages - area


def _table(registry: Registry, name: str) -> Table:
    return next(iter(registry.entities.values())).table.metadata.tables[name]


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
              key: bytes, sent: dict[str, int], limit: int = DEFAULT_LIMIT) -> Page:
    """One page of changes after `cursor` for a user whose area is `area` (None: everything).

    A page holds at most `limit` changes. Reference tables (occupations) are not in the change feed:
    when the puller lacks them (first pull, a new area, or the table changed) their items come
    first, counted against the limit, and carry the cursor's seq — the position in the feed at which
    they were sent — so a page stays ordered by seq. Items that do not fit come on the next pages
    (the cursor remembers how many were sent) before any further record. Records that left the area
    come as `out_of_area` changes in the same seq order (see the module doc). The area's villages must
    be kept (`remember_area`) for a later change of the area to be noticed village by village.

    `sent` is what `areas_sent` holds for the device (its current area recorded by `remember_sent`
    first): only records of those areas can be named `out_of_area`, whatever the cursor says. The
    next cursor is sealed with `key`. A cursor ahead of the server's counter raises CursorAhead.
    """
    now = current_seq(session)
    if cursor.seq > now or cursor.told > now:
        raise CursorAhead(cursor.seq)
    area_print = fingerprint(sorted(area)) if area is not None else None
    same_area = cursor.area == area_print
    if same_area:
        after, told, held = cursor.seq, max(cursor.told, cursor.seq), cursor.held
    elif cursor.is_new:
        after, told, held = 0, now, []
    else:
        # A changed area is sent again whole. The phone has heard every departure up to its cursor;
        # what it holds of its earlier areas and no longer covers leaves during this pass.
        after, told = 0, max(cursor.told, cursor.seq)
        held = list(dict.fromkeys([cursor.area or EVERYWHERE, *cursor.held]))[:_HELD_MAX]
    # Only areas this device was answered: a cursor cannot make it name records it never had.
    held = [p for p in held if p != area_print and p in sent]
    # Nor departures from before it was first answered its area (or the earlier ones it holds).
    since = min((sent[p] for p in [area_key(area), *held] if p in sent), default=now)
    known = cursor.tables if same_area else {}
    feed = _table(registry, "change_feed")
    lost = _lost_villages(session, registry, held, area) if area is not None and held else set()

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

    # (entity, record id, seq, out of area?) from the feed (records of lost villages leave) and from
    # the departures; a record is in at most one of them (see _departure_rows), and seqs are unique.
    rows: list[tuple[str, str, int, bool]] = []
    if area is None or area or lost:
        villages = None if area is None else area | lost
        rows += [(e, r, seq, v in lost) for e, r, seq, v in _feed_rows(session, feed, villages, after, room + 1)]
    if area is not None:
        departures = _table(registry, "feed_departure")
        rows += [(e, r, seq, True) for e, r, seq in
                 _departure_rows(session, feed, departures, area | lost, max(after, told, since), room + 1)]
    rows.sort(key=lambda row: row[2])
    has_more = len(rows) > room or len(pending) > len(sending)
    rows = rows[:room]
    # A record that left two villages of the area (moved within it, then out) is told once a page.
    last_departure = {(e, r): seq for e, r, seq, leaving in rows if leaving}

    wanted: dict[str, list[str]] = defaultdict(list)
    for entity, record_id, _seq, leaving in rows:
        if not leaving and entity in registry.entities:
            wanted[entity].append(record_id)
    loaded: dict[tuple[str, str], dict[str, Any]] = {}
    for entity, ids in wanted.items():
        spec = registry.entities[entity]
        found: dict[str, dict[str, Any]] = {}
        meta: dict[str, tuple[int, bool]] = {}
        statement = _changes_statement(spec.table, tuple(spec.kinds))
        columns = list(statement.selected_columns)
        names = [column.name for column in columns]
        carried = [(n, name) for n, name in enumerate(names) if name in spec.kinds]
        # Only dates and times change on the way out (ISO text): the other values go as they are read.
        timed = [name for column, name in zip(columns, names)
                 if name in spec.kinds and isinstance(column.type, (Date, DateTime))]
        at_id, at_seq, at_deleted = names.index("id"), names.index("seq"), names.index("deleted")
        for row in session.execute(statement, {"ids": ids}):
            fields = found[row[at_id]] = {name: row[n] for n, name in carried}
            for name in timed:
                fields[name] = to_api(fields[name])
            meta[row[at_id]] = (row[at_seq], bool(row[at_deleted]))
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
    for entity, record_id, seq, leaving in rows:
        if leaving and entity in registry.entities and last_departure[(entity, record_id)] == seq:
            changes.append({"entity": entity, "id": record_id, "seq": seq, "deleted": True,
                            "reason": OUT_OF_AREA, "fields": {}})
        elif (entity, record_id) in loaded:
            changes.append(loaded[(entity, record_id)])
    last = rows[-1][2] if rows else after
    # Once caught up, every record of the lost villages has been sent: the earlier areas are done.
    next_cursor = Cursor(seq=last, area=area_print, tables=tables, told=told if told > last else 0,
                         held=held if has_more else [])
    return Page(changes=changes, cursor=next_cursor.encode(key), has_more=has_more)
