"""A district office at once: 16 signed-in users on a real server, pages, forms and phones mixed.

Runs on SQLite and, in the PostgreSQL phase, on PostgreSQL: every request answers, none with 5xx,
/healthz answers throughout, and everything the server said it stored is there afterwards — with
one server process and with two on the same database (`sammachip serve --workers 2`).
"""
import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from server.models import Attendance, Household
from tests.support.load import KINDS, run_load, seed_district
from tests.support.servers import server_log, start_server, stop_server


@pytest.mark.parametrize("workers", [1, 2])
def test_sixteen_concurrent_users_all_get_answers_and_nothing_written_is_lost(db_url, engine, workers):
    with Session(engine) as db:
        district = seed_district(db, villages=8, households_per_village=25)
    process, base_url = start_server(db_url, workers=workers)
    try:
        result = run_load(base_url, district, clients=16, seconds=8)
    finally:
        log = server_log(process)
        stop_server(process)

    by_kind = result.by_kind()
    assert all(by_kind[kind] for kind in KINDS), {kind: len(found) for kind, found in by_kind.items()}
    assert result.failures() == [], (result.failures()[:5], log[-3000:])
    # Invalid posts are refused with the form shown again; valid ones redirect.
    assert {s.status for s in by_kind["post_invalid"]} == {422}
    assert {s.status for s in by_kind["post_valid"]} <= {302, 303}
    assert {s.status for s in by_kind["page"] + by_kind["pull"] + by_kind["push"]} == {200}
    assert result.health and all(s.status == 200 for s in result.health)

    with Session(engine) as db:
        for village_id, house_no in result.created_households:
            found = db.exec(select(func.count()).select_from(Household).where(
                Household.village_id == village_id, Household.house_no == house_no)).one()
            assert found == 1, (village_id, house_no)
        for (session_id, household_id), present in result.pushed_attendance.items():
            row = db.exec(select(Attendance).where(Attendance.session_id == session_id,
                                                   Attendance.household_id == household_id)).one()
            assert row.present == present
    assert result.created_households and result.pushed_attendance
