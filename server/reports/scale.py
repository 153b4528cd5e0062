"""A generated program at national scale for measuring pages and exports (`sammachip seed-scale`).

Fills an empty database: provinces of 15 districts of 10 subdistricts of 10 villages (fictitious
names, geocodes from province 10 up), and for each fiscal year every village's team of 5, one
5-day training in a trade, new target households (5% withdraw), attendance, surveys due by the
day it runs, and occupation groups in about 12% of villages with a 5 ก assessment. Rows go in
batches: multi-row INSERTs, or COPY on PostgreSQL. The records get no change numbers: phones do not
pull this data; it is there to measure the office pages, the figures and the exports.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import JSON, Table, func, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from server.config.reference_data import FIVE_K, TRADES, ensure_defaults
from server.core.dates import fiscal_year_be, thai_today, utc_now
from server.models import (
    Attendance,
    District,
    Enrollment,
    FiveKAssessment,
    Household,
    OccupationGroup,
    Province,
    Sage,
    Subdistrict,
    Survey,
    TeamMember,
    TrainerTeam,
    Training,
    TrainingSession,
    Village,
)
from server.program.field_checks import citizen_id_check_digit
from server.program.rules import default_session_kind

BATCH = 5_000
VILLAGES_PER_SUBDISTRICT = 10
SUBDISTRICTS_PER_DISTRICT = 10
DISTRICTS_PER_PROVINCE = 15
ROUNDS = (("after_training", 0), ("follow_up_3m", 3), ("follow_up_6m", 6), ("follow_up_12m", 12))


class ScaleError(Exception):
    pass


def _synced(now: dt.datetime) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "seq": 0, "deleted": False, "field_versions": {}, "created_at": now,
            "updated_at": now}


class _Writer:
    """Buffers rows per table and writes them with executemany in batches, parents first."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.buffers: dict[str, list[dict[str, Any]]] = {}
        self.tables: dict[str, Table] = {}
        self.counts: dict[str, int] = {}

    def add(self, model: Any, row: dict[str, Any]) -> None:
        table = model.__table__
        self.tables[table.name] = table
        buffer = self.buffers.setdefault(table.name, [])
        buffer.append(row)
        if len(buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        # Foreign keys: write in dependency order (the models' metadata knows it).
        order = [t.name for t in Village.metadata.sorted_tables]
        for name in sorted(self.buffers, key=order.index):
            rows = self.buffers[name]
            if rows:
                if self.conn.dialect.name == "postgresql":
                    _copy(self.conn, self.tables[name], rows)
                else:
                    self.conn.execute(insert(self.tables[name]), rows)
                self.counts[name] = self.counts.get(name, 0) + len(rows)
                rows.clear()


class _Row:
    """What a column default sees of the row being written (as SQLAlchemy's execution context)."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row

    def get_current_parameters(self) -> dict[str, Any]:
        return self.row


def _copy(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: the rows through COPY (many times faster than INSERTs at national size), with the
    columns' Python-side defaults filled in as an INSERT would."""
    columns = [c for c in table.columns if c.name in rows[0] or c.default is not None]
    json_columns = {c.name for c in columns if isinstance(c.type, JSON)}
    names = ", ".join(f'"{c.name}"' for c in columns)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            values = []
            for column in columns:
                if column.name in row:
                    value = row[column.name]
                elif column.default.is_callable:
                    value = column.default.arg(_Row(row))
                else:
                    value = column.default.arg
                values.append(json.dumps(value) if column.name in json_columns and value is not None else value)
            copy.write_row(values)


def _citizen_id(rng: random.Random) -> str:
    first = str(rng.randint(1, 8)) + f"{rng.randrange(10 ** 11):011d}"
    return first + str(citizen_id_check_digit(first))


def _months_after(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, min(day.day, 28))


def geography(villages: int) -> Iterator[tuple[str, str, str, str]]:
    """(province, district, subdistrict, village) geocodes for `villages` villages."""
    per_district = VILLAGES_PER_SUBDISTRICT * SUBDISTRICTS_PER_DISTRICT
    per_province = per_district * DISTRICTS_PER_PROVINCE
    for n in range(villages):
        p, rest = divmod(n, per_province)
        d, rest = divmod(rest, per_district)
        s, v = divmod(rest, VILLAGES_PER_SUBDISTRICT)
        province = f"{10 + p:02d}"
        district = f"{province}{d + 1:02d}"
        subdistrict = f"{district}{s + 1:02d}"
        yield province, district, subdistrict, f"{subdistrict}{v + 1:02d}"


def seed_scale(engine: Engine, *, villages: int, households_per_village: int, years: int,
               today: dt.date | None = None, seed: int = 2570) -> dict[str, int]:
    """Generate the program into an empty database; returns the rows written per table."""
    if villages < 1 or households_per_village < 1 or years < 1:
        raise ScaleError("villages, households per village and years must be at least 1")
    if villages > 90 * DISTRICTS_PER_PROVINCE * SUBDISTRICTS_PER_DISTRICT * VILLAGES_PER_SUBDISTRICT:
        raise ScaleError("too many villages for two-digit province codes")
    with Session(engine) as db:
        ensure_defaults(db)
        db.commit()
        if db.exec(select(func.count()).select_from(Village)).one()[0]:
            raise ScaleError("the database already has villages; seed-scale fills an empty database")
    today = today or thai_today()
    now = utc_now()
    rng = random.Random(seed)
    trades = [code for code, _th, _en in TRADES]
    five_k = [code for code, *_rest in FIVE_K]
    current = fiscal_year_be(today)
    with engine.begin() as conn:
        out = _Writer(conn)
        seen: set[str] = set()
        village_ids: list[tuple[str, str]] = []
        for province, district, subdistrict, code in geography(villages):
            if province not in seen:
                seen.add(province)
                out.add(Province, {"code": province, "name_th": f"จังหวัดจำลอง {province}",
                                   "name_en": f"Sample province {province}"})
            if district not in seen:
                seen.add(district)
                out.add(District, {"code": district, "province_code": province, "name_th": f"อำเภอจำลอง {district}",
                                   "name_en": f"Sample district {district}"})
            if subdistrict not in seen:
                seen.add(subdistrict)
                out.add(Subdistrict, {"code": subdistrict, "district_code": district,
                                      "name_th": f"ตำบลจำลอง {subdistrict}", "name_en": f"Sample subdistrict {subdistrict}"})
            row = {**_synced(now), "code": code, "subdistrict_code": subdistrict, "number": int(code[6:]),
                   "name": f"บ้านจำลอง {code}", "participating": True}
            out.add(Village, row)
            village_ids.append((row["id"], code))
        sages: dict[str, list[str]] = {}
        for village_id, code in village_ids:
            sages[village_id] = []
            for n in range(5):
                row = {**_synced(now), "village_id": village_id, "name": f"ปราชญ์จำลอง {code}-{n + 1}",
                       "skills": [rng.choice(trades)]}
                out.add(Sage, row)
                sages[village_id].append(row["id"])
        out.flush()

        for fiscal_year in range(current - years + 1, current + 1):
            year_start = dt.date(fiscal_year - 544, 10, 1)
            for village_id, code in village_ids:
                _village_year(out, rng, now=now, today=today, village_id=village_id, code=code,
                              fiscal_year=fiscal_year, year_start=year_start, sages=sages[village_id],
                              trades=trades, five_k=five_k, households=households_per_village)
        out.flush()
    return out.counts


def _village_year(out: _Writer, rng: random.Random, *, now: dt.datetime, today: dt.date, village_id: str,
                  code: str, fiscal_year: int, year_start: dt.date, sages: list[str], trades: list[str],
                  five_k: list[str], households: int) -> None:
    team = {**_synced(now), "village_id": village_id, "fiscal_year": fiscal_year, "lead_sage_id": sages[0]}
    out.add(TrainerTeam, team)
    trade = rng.choice(trades)
    training = {**_synced(now), "village_id": village_id, "occupation": trade, "fiscal_year": fiscal_year}
    out.add(Training, training)
    first = year_start + dt.timedelta(days=rng.randrange(0, 240))
    sessions = []
    for day in range(1, 6):
        when = first + dt.timedelta(days=day - 1 + (2 if day >= 4 else 0))
        row = {**_synced(now), "training_id": training["id"], "day": day, "kind": default_session_kind(day),
               "date": when}
        out.add(TrainingSession, row)
        sessions.append(row)
    for sage_id in sages[1:]:
        out.add(TeamMember, {"team_id": team["id"], "sage_id": sage_id})
    last_day = sessions[-1]["date"]
    members: list[str] = []
    for n in range(households):
        size = rng.randint(1, 7)
        income = 0 if rng.random() < 0.03 else rng.randrange(12_000, 150_000, 500)
        household = {**_synced(now), "village_id": village_id, "house_no": f"{rng.randint(1, 300)}/{fiscal_year % 100}{n}",
                     "head_name": f"ครัวเรือนจำลอง {code}-{fiscal_year}-{n + 1}", "citizen_id": _citizen_id(rng),
                     "members": size, "annual_income": income, "consent": True, "interest": trade}
        out.add(Household, household)
        status = "withdrawn" if rng.random() < 0.05 else "selected"
        out.add(Enrollment, {**_synced(now), "training_id": training["id"], "household_id": household["id"],
                             "occupation": trade, "status": status})
        out.add(Survey, {**_synced(now), "household_id": household["id"], "kind": "baseline",
                         "surveyed_on": first - dt.timedelta(days=7), "annual_income": income,
                         "trade_income_month": None, "practising_trade": False})
        if status != "selected":
            continue
        present_any = False
        for session in sessions:
            if session["date"] <= today:
                present = rng.random() < 0.9
                present_any |= present
                out.add(Attendance, {**_synced(now), "session_id": session["id"], "household_id": household["id"],
                                     "present": present})
        if not present_any:
            continue
        members.append(household["id"])
        after = income
        for kind, months in ROUNDS:
            due = _months_after(last_day, months)
            if due > today or rng.random() < 0.1:
                continue
            practising = rng.random() < 0.86
            after = max(0, int(after * (1 + rng.gauss(0.04 if practising else 0.0, 0.08))))
            out.add(Survey, {**_synced(now), "household_id": household["id"], "kind": kind, "surveyed_on": due,
                             "annual_income": after, "trade_income_month": rng.randrange(0, 6_000, 100),
                             "practising_trade": practising})
    if members and rng.random() < 0.12 and _months_after(last_day, 1) <= today:
        group = {**_synced(now), "village_id": village_id, "name": f"กลุ่มจำลอง {code}-{fiscal_year}",
                 "category": "agriculture", "occupation": trade, "registered_on": _months_after(last_day, 1),
                 "fund_balance": rng.randrange(0, 50_000, 100)}
        out.add(OccupationGroup, group)
        out.add(FiveKAssessment, {"group_id": group["id"], "assessed_on": _months_after(last_day, 2),
                                  "scores": {k: rng.random() < 0.8 for k in five_k}, "created_at": now})
