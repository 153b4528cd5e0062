"""List pages as a district grows: p50/p95 of page 1 of /households, /sages and /teams.

A supervisor of a district of 150 villages (4 sages and a full trainer team each) with 25 households a
village (3,750), then with 20,000 households. Each page is asked for through the app in-process
(TestClient), so the figures are the server's own time. Beside /households it times what the list
did before it paged in SQL (every household of the area loaded and sorted in Python), as a ratio.

    python bench/pages_lists.py                      # SQLite
    SAMMACHIP_BENCH_PG=postgresql://postgres@127.0.0.1:55432/postgres python bench/pages_lists.py
                                                     # and PostgreSQL (a scratch database is made)
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar.testing import TestClient  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from server.app import create_app  # noqa: E402
from server.core.db import make_engine  # noqa: E402
from server.core.house_numbers import house_number_key  # noqa: E402
from server.core.migrate import upgrade  # noqa: E402
from server.models import (  # noqa: E402
    District,
    Household,
    Province,
    Sage,
    Subdistrict,
    TeamMember,
    TrainerTeam,
    Village,
    new_id,
)
from server.core.dates import current_fiscal_year  # noqa: E402
from server.core.settings import Settings  # noqa: E402
from tests.foundation.helpers import sign_in  # noqa: E402
from tests.support.factories import make_user  # noqa: E402

VILLAGES = 150
SAGES_PER_VILLAGE = 4
ROUNDS = int(os.environ.get("SAMMACHIP_BENCH_ROUNDS", "40"))
PAGES = ("/households", "/sages", "/teams")


def seed(engine, households: int) -> None:
    """The district, with `households` spread over its villages (bulk Core inserts)."""
    fiscal_year = current_fiscal_year()
    with Session(engine) as db:
        db.add(Province(code="34", name_th="อุบลราชธานี", name_en="Ubon Ratchathani"))
        db.flush()
        db.add(District(code="3414", province_code="34", name_th="ม่วงสามสิบ", name_en="Muang Sam Sip"))
        db.flush()
        for s in range(1, 15):
            db.add(Subdistrict(code=f"3414{s:02d}", district_code="3414", name_th=f"ตำบล {s}", name_en=f"T{s}"))
        db.flush()
        villages = [{"id": new_id(), "code": f"3414{v % 14 + 1:02d}{v // 14 + 1:02d}",
                     "subdistrict_code": f"3414{v % 14 + 1:02d}", "number": v // 14 + 1,
                     "name": f"บ้านสมมุติ {v}", "participating": True, "field_versions": {}}
                    for v in range(VILLAGES)]
        db.execute(insert(Village.__table__), villages)
        rows = [{"id": new_id(), "village_id": villages[n % VILLAGES]["id"], "house_no": f"{n // VILLAGES + 1}/{n % 7}",
                 "head_name": f"นางสมมุติ {n}", "members": 1 + n % 6, "annual_income": 20_000 + n % 97 * 1000,
                 "consent": True, "field_versions": {}} for n in range(households)]
        for start in range(0, len(rows), 5000):
            db.execute(insert(Household.__table__), rows[start:start + 5000])  # house_sort: the column default
        sages = [{"id": new_id(), "village_id": v["id"], "name": f"ปราชญ์สมมุติ {i}-{n}", "skills": ["orchard"],
                  "field_versions": {}} for i, v in enumerate(villages) for n in range(SAGES_PER_VILLAGE)]
        db.execute(insert(Sage.__table__), sages)
        teams, members = [], []
        for i, v in enumerate(villages):
            mine = sages[i * SAGES_PER_VILLAGE:(i + 1) * SAGES_PER_VILLAGE]
            team_id = new_id()
            teams.append({"id": team_id, "village_id": v["id"], "fiscal_year": fiscal_year,
                          "lead_sage_id": mine[0]["id"], "field_versions": {}})
            members += [{"team_id": team_id, "sage_id": s["id"]} for s in mine[1:]]
        db.execute(insert(TrainerTeam.__table__), teams)
        db.execute(insert(TeamMember.__table__), members)
        db.commit()
        make_user(db, username="boss", role="supervisor", district_code="3414")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def timed(call) -> list[float]:  # noqa: ANN001
    call()  # warm caches and templates
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def the_old_way(engine) -> None:
    """What /households did before: the area's households loaded, sorted in Python, then sliced."""
    with Session(engine) as db:
        rows = list(db.exec(select(Household, Village.code).join(Village, Village.id == Household.village_id)
                            .where(Household.deleted == False)).all())  # noqa: E712
        rows.sort(key=lambda row: (row[1], house_number_key(row[0].house_no)))
        assert len(rows[:50]) == 50


def report(label: str, url: str, households: int) -> dict[str, float]:
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    seed(engine, households)
    print(f"\n{label}, {VILLAGES} villages, {households:,} households (seeded in {time.perf_counter() - started:.1f} s)")
    print(f"  {'page 1 of':<22}{'p50 ms':>9}{'p95 ms':>9}")
    p50s = {}
    app = create_app(Settings(database_url=url, development=True), engine)
    with TestClient(app, base_url="http://testserver.local") as client:
        sign_in(client, "boss")
        for page in PAGES:
            def get(page: str = page) -> None:
                response = client.get(page)
                assert response.status_code == 200, response.text
            times = timed(get)
            p50s[page] = statistics.median(times)
            print(f"  {page:<22}{p50s[page]:>9.1f}{percentile(times, 95):>9.1f}")
        fragment = timed(lambda: client.get("/households", params={"q": "สมมุติ 1"}, headers={"HX-Request": "true"}))
        print(f"  {'/households search':<22}{statistics.median(fragment):>9.1f}{percentile(fragment, 95):>9.1f}"
              "   (an htmx keystroke)")
    old = timed(lambda: the_old_way(engine))
    print(f"  load + sort in Python (before): p50 {statistics.median(old):.1f} ms, "
          f"{statistics.median(old) / p50s['/households']:.1f}× the paged page")
    engine.dispose()
    return p50s


def scratch_pg(admin: str):  # noqa: ANN201
    """A new empty database on the cluster at `admin`, and a function that drops it."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    control = create_engine(make_url(admin).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with control.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with control.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        control.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    sizes = (VILLAGES * 25, 20_000)
    admin = os.environ.get("SAMMACHIP_BENCH_PG")
    for label in ("SQLite",) + (("PostgreSQL",) if admin else ()):
        results = []
        for households in sizes:
            if label == "SQLite":
                with tempfile.TemporaryDirectory() as folder:
                    results.append(report(label, f"sqlite:///{folder}/bench.db", households))
            else:
                url, drop = scratch_pg(admin)
                try:
                    results.append(report(label, url, households))
                finally:
                    drop()
        small, large = results
        print(f"  {label}: page 1 at {sizes[1]:,} households vs {sizes[0]:,}: "
              + ", ".join(f"{page} {large[page] / small[page]:.2f}×" for page in PAGES))


if __name__ == "__main__":
    main()
