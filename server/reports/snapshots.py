"""The figures of a wide area (a province, the country) served from a snapshot.

A district's figures are computed on every request (a few thousand households). The country's rest
on ~280,000 households a year and take seconds on PostgreSQL, too long for a page. The department
reports them monthly, so a figure a few minutes old serves that need as well as a live one: a report
that rests on more than `Settings.snapshot_trainings` trainings is computed once, kept in
`report_snapshot` with the time it was computed (the page says "figures as of …"), and served from
there. A snapshot is exact while the sync counter has not moved; once it has and the snapshot is
older than `Settings.snapshot_minutes`, the page still answers at once with it, and one process
computes a newer one after the response (claimed in the table, so several server processes do not
all compute the same figures). Progress depends on the day (which training days were held), so a
snapshot of another day is stale too, served once more while today's is computed. Only a report
never computed before is computed while the user waits.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from server.core.db import session_scope, writer_beside
from server.models import FiveKAssessment, ReportSnapshot
from server.models.base import utcnow
from server.reports import figures
from server.reports.report_area import Filters
from sync.changes import current_seq

log = logging.getLogger(__name__)
# A computation that has not finished in this time is taken to have died with its process.
CLAIM_EXPIRES = dt.timedelta(minutes=5)

Tables = dict[str, dict[str, Any]]


@dataclass
class Served:
    """A report's tables; `as_of` is when they were computed when they come from a snapshot."""

    tables: Tables
    as_of: dt.datetime | None = None
    refresh: Callable[[], None] | None = None  # to run after the response: compute a newer snapshot


@dataclass(frozen=True)
class Policy:
    trainings: int  # a report resting on more trainings than this is served from a snapshot
    max_age: dt.timedelta


def policy_of(settings: Any) -> Policy:
    return Policy(trainings=settings.snapshot_trainings, max_age=dt.timedelta(minutes=settings.snapshot_minutes))


# --- the two kinds of report ----------------------------------------------------------------------

def progress_tables(db: Session, policy: Policy, *, area: ColumnElement[bool], filters: Filters,
                    breakdowns: Sequence[str], today: dt.date, follow_up_months: list[int],
                    five_k_codes: list[str]) -> Served:
    """`figures.progress_tables`, from a snapshot for a wide area."""
    options = {"filters": filters, "breakdowns": list(breakdowns), "follow_up_months": follow_up_months,
               "five_k_codes": five_k_codes}
    return _served(db, policy, "progress", area, options, _progress_from, today,
                   lambda session: figures.progress_tables(session, area=area, today=today, **options))


def outcome_tables(db: Session, policy: Policy, *, area: ColumnElement[bool], filters: Filters,
                   breakdowns: Sequence[str], follow_up_months: list[int]) -> Served:
    """`figures.outcome_tables`, from a snapshot for a wide area."""
    options = {"filters": filters, "breakdowns": list(breakdowns), "follow_up_months": follow_up_months}
    return _served(db, policy, "outcomes", area, options, _outcome_from, None,
                   lambda session: figures.outcome_tables(session, area=area, **options))


def warm_country(engine: Any, fiscal_years: Sequence[int], today: dt.date) -> int:
    """Compute the country's progress and outcomes for these fiscal years, as an admin's pages first
    show them (by province, every trade), so that nobody waits for them: `sammachip refresh-figures`,
    for a scheduled job. Returns how many reports were stored."""
    from server.config.values import five_k_elements, follow_up_months
    from server.reports.report_area import CHILD_LENGTH

    with session_scope(engine, writes=False) as db:
        months, codes = follow_up_months(db), [e.code for e in five_k_elements(db)]
    by = figures.LEVEL_BY_LENGTH[CHILD_LENGTH[0]]
    stored = 0
    for year in fiscal_years:
        filters = Filters(fiscal_year=year, area="")
        progress = {"filters": filters, "breakdowns": [by, "total"], "follow_up_months": months,
                    "five_k_codes": codes}
        outcomes = {"filters": filters, "breakdowns": [by, "total"], "follow_up_months": months}
        reports = [("progress", progress, today, lambda db, o=progress: figures.progress_tables(
                        db, area=true(), today=today, **o)),
                   ("outcomes", outcomes, None, lambda db, o=outcomes: figures.outcome_tables(db, area=true(), **o))]
        for kind, options, day, compute in reports:
            with session_scope(engine, writes=False) as db:
                key, version = _key(db, kind, true(), options), _version(db)
                tables = compute(db)
            with session_scope(engine) as db:
                _store(db, key, tables, version, day)
            stored += 1
    return stored


def _progress_from(data: dict[str, Any]) -> figures.Progress:
    days = {int(d): figures.Day(**day) for d, day in data.pop("days").items()}
    surveys = {kind: figures.Round(**r) for kind, r in data.pop("surveys").items()}
    return figures.Progress(**data, days=days, surveys=surveys)


def _outcome_from(data: dict[str, Any]) -> figures.Outcome:
    income = {kind: figures.Income(**i) for kind, i in data.pop("income").items()}
    return figures.Outcome(**data, income=income)


# --- serving --------------------------------------------------------------------------------------

def _served(db: Session, policy: Policy, kind: str, area: ColumnElement[bool], options: dict[str, Any],
            row_from: Callable[[dict[str, Any]], Any], day: dt.date | None,
            compute: Callable[[Session], Tables]) -> Served:
    """`day`: the day the figures are for, when they depend on it (progress); None otherwise."""
    if _trainings(db, area, options["filters"]) <= policy.trainings:
        return Served(compute(db))
    key = _key(db, kind, area, options)
    snapshot = db.get(ReportSnapshot, key)
    version = _version(db)
    if snapshot is None:
        tables = compute(db)
        _store(db, key, tables, version, day)
        db.commit()  # on PostgreSQL the snapshot is written in the request's own transaction
        return Served(tables)
    served = Served(_tables_from(snapshot.payload["tables"], row_from), as_of=snapshot.computed_at)
    same_day = snapshot.payload.get("day") == (day.isoformat() if day else None)
    fresh = same_day and (snapshot.counter == version or utcnow() - _aware(snapshot.computed_at) < policy.max_age)
    if not fresh:
        served.refresh = functools.partial(_refresh, db.get_bind(), key, compute, day)
    return served


def _trainings(db: Session, area: ColumnElement[bool], filters: Filters) -> int:
    scoped = figures.trainings_in_scope(area, filters)
    return db.exec(select(func.count()).select_from(scoped)).one()[0]


def _key(db: Session, kind: str, area: ColumnElement[bool], options: dict[str, Any]) -> str:
    """The report's identity: its kind, the user's area (as SQL, so two admins share one) and options."""
    where = str(area.compile(dialect=db.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    described = json.dumps({"kind": kind, "area": where, **options}, sort_keys=True, default=_plain)
    return hashlib.sha256(described.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value))


def _version(db: Session) -> int:
    """A number that grows whenever anything behind the figures changes: the sync counter (every synced
    write) plus the latest 5 ก assessment's id (assessments are not synced records). Both only grow."""
    counter = current_seq(db)
    assessed = db.execute(select(func.max(FiveKAssessment.id))).scalar_one()
    return counter + (assessed or 0)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _tables_from(payload: dict[str, Any], row_from: Callable[[dict[str, Any]], Any]) -> Tables:
    return {by: {k: row_from(dict(row)) for k, row in rows.items()} for by, rows in payload.items()}


def _payload(tables: Tables, day: dt.date | None) -> dict[str, Any]:
    return {"day": day.isoformat() if day else None,
            "tables": {by: {k: dataclasses.asdict(row) for k, row in rows.items()} for by, rows in tables.items()}}


def _store(db: Session, key: str, tables: Tables, version: int, day: dt.date | None) -> None:
    """Write the snapshot, whoever wrote one meanwhile (two first views at once: the later one wins)."""
    values = {"payload": _payload(tables, day), "computed_at": utcnow(), "counter": version,
              "refreshing_since": None}
    with writer_beside(db) as writer:
        insert = postgresql_insert if writer.get_bind().dialect.name == "postgresql" else sqlite_insert
        writer.execute(insert(ReportSnapshot).values(key=key, **values)
                       .on_conflict_do_update(index_elements=["key"], set_=values))


def _refresh(engine: Any, key: str, compute: Callable[[Session], Tables], day: dt.date | None) -> None:
    """After the response: compute a newer snapshot, unless another process is already at it."""
    now = utcnow()
    with session_scope(engine) as db:
        claimed = db.execute(update(ReportSnapshot).where(
            ReportSnapshot.key == key,
            or_(ReportSnapshot.refreshing_since.is_(None), ReportSnapshot.refreshing_since < now - CLAIM_EXPIRES))
            .values(refreshing_since=now)).rowcount
    if not claimed:
        return
    try:
        with session_scope(engine, writes=False) as db:
            version = _version(db)
            tables = compute(db)
        with session_scope(engine) as db:
            _store(db, key, tables, version, day)
    except Exception:
        log.exception("the figures of report %s could not be computed again", key)
        with session_scope(engine) as db:
            db.execute(update(ReportSnapshot).where(ReportSnapshot.key == key).values(refreshing_since=None))
