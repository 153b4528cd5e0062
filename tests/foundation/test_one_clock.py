"""One clock: "today" is Thailand's, whatever zone the server's machine keeps.

Every "now", "today" and fiscal year of the server comes from `server.core.dates`; the sync engine,
which knows nothing of the server, keeps one UTC clock of its own (`sync.spec.utc_now`). A page
shown at 00:30 Thai time reads the same on a machine set to UTC (still yesterday there) as on one
set to UTC+14 (already tomorrow there).
"""
from __future__ import annotations

import ast
import re
import datetime as dt
import os
import time
from pathlib import Path

import pytest
from sqlmodel import Session

from server.core import dates
from tests.foundation.helpers import sign_in
from server.reports.village_progress import village_progress
from tests.support.factories import DEFAULT_PASSWORD, make_geography, make_training, make_user

ROOT = Path(__file__).resolve().parents[2]
CLOCKS = {ROOT / "server" / "core" / "dates.py", ROOT / "sync" / "spec.py"}
# 00:30 on 6 December 2026 in Thailand = 17:30 UTC on 5 December = 07:30 on 6 December at UTC+14.
THAI_HALF_PAST_MIDNIGHT = dt.datetime(2026, 12, 5, 17, 30, tzinfo=dt.timezone.utc)


def clock_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("today", "now", "utcnow") and not node.args[1:]:
                owner = ast.unparse(node.func.value)
                if owner.split(".")[-1] in ("date", "datetime") or owner in ("dt", "time"):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("time.localtime", "time.time"):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    return found


def test_nothing_but_the_clock_asks_the_machine_for_the_date():
    calls = [call for folder in ("server", "sync") for path in sorted((ROOT / folder).rglob("*.py"))
             if path not in CLOCKS for call in clock_calls(path)]
    assert calls == [], "take the time from server.core.dates:\n" + "\n".join(calls)


def test_the_check_finds_a_stray_clock(tmp_path):
    stray = tmp_path / "stray.py"
    stray.write_text("import datetime as dt\nday = dt.date.today()\nnow = dt.datetime.now()\n")
    original_root = globals()["ROOT"]
    try:
        globals()["ROOT"] = tmp_path
        assert len(clock_calls(stray)) == 2
    finally:
        globals()["ROOT"] = original_root


@pytest.fixture
def machine_zone():
    """Set the process's own time zone (what date.today() would read) for the length of a test."""
    before = os.environ.get("TZ")

    def set_zone(zone: str) -> None:
        os.environ["TZ"] = zone
        time.tzset()

    yield set_zone
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
def half_past_midnight_in_thailand(monkeypatch):
    monkeypatch.setattr(dates, "_source", lambda: THAI_HALF_PAST_MIDNIGHT)


def test_today_is_thailands_whatever_the_machines_zone(machine_zone, half_past_midnight_in_thailand):
    seen = set()
    for zone in ("UTC", "Pacific/Kiritimati", "America/Los_Angeles"):
        machine_zone(zone)
        seen.add((dates.thai_today(), dates.current_fiscal_year()))
    assert seen == {(dt.date(2026, 12, 6), 2570)}


def test_the_first_of_october_opens_the_new_fiscal_year_at_thai_midnight(machine_zone, monkeypatch):
    machine_zone("UTC")
    monkeypatch.setattr(dates, "_source", lambda: dt.datetime(2026, 9, 30, 17, 30, tzinfo=dt.timezone.utc))
    assert dates.thai_today() == dt.date(2026, 10, 1)
    assert dates.current_fiscal_year() == 2570


def _days_held_as_shown(text: str) -> list[str]:
    """The "days held n/5" steps of the village rows (templates/_progress.html), as the page reads."""
    return re.findall(r'title="[^"]*"><a href="/trainings/[^"]*">([^<]*)</a></li>', text)


def test_pages_at_half_past_midnight_read_the_same_in_any_machine_zone(machine_zone, half_past_midnight_in_thailand,
                                                                      client, engine):
    """Day 1 is today in Thailand: held on every machine (on a UTC machine it was still "yesterday")."""
    with Session(engine) as db:
        geo = make_geography(db)
        village_id = geo["villages"][0].id
        make_user(db, username="sup", role="supervisor", district_code=geo["district"].code)
        make_training(db, village_id=village_id, fiscal_year=2570, first_day=dt.date(2026, 12, 6))
        db.commit()
    sign_in(client, "sup", DEFAULT_PASSWORD)
    shown = {}
    for zone in ("UTC", "Pacific/Kiritimati"):
        machine_zone(zone)
        with Session(engine) as db:
            held = {row.village.id: row.days_held for row in village_progress(db, {village_id}, None)}
        shown[zone] = (held, _days_held_as_shown(client.get("/villages").text), "2570" in client.get("/").text)
    assert shown["UTC"] == shown["Pacific/Kiritimati"]
    assert shown["UTC"][0] == {village_id: 1}
