"""A wide area's figures come from a snapshot: computed once, served with the time they were computed,
computed again after the response once the data changed and the snapshot is old — by one process."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from tests.support.factories import freeze_thai_today
from sqlalchemy import func, select, update
from sqlmodel import Session

from server.models import ReportSnapshot, Survey
from server.models.base import utcnow
from server.synced.write import save_synced
from tests.foundation.helpers import sign_in
from tests.reports.conftest import TODAY


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):

    freeze_thai_today(monkeypatch, TODAY)


@pytest.fixture
def settings(settings):
    """Every report is 'wide' here: the program in conftest.py has three trainings."""
    return dataclasses.replace(settings, snapshot_trainings=0, snapshot_minutes=10)


def practising(page) -> str:
    tile = page.text[page.text.index('data-indicator="practising"'):]
    return re.search(r"([0-9.]+)%", tile).group(1)


def as_of(page) -> str | None:
    found = re.search(r'data-figures-as-of="([^"]+)"', page.text)
    return found.group(1) if found else None


def snapshots(engine) -> list[ReportSnapshot]:
    with Session(engine) as db:
        return list(db.exec(select(ReportSnapshot)).scalars())


def survey_d_not_practising(engine, program) -> None:
    """A follow-up for D (trained, awaiting follow-up): the province's practising share goes 5/6 → 5/7."""
    with Session(engine) as db:
        save_synced(db, Survey(), entity="survey", user=None, values={
            "household_id": program.households["D"], "kind": "after_training",
            "surveyed_on": dt.date(2026, 11, 20), "annual_income": 80_000, "practising_trade": False})
        db.commit()


def age_snapshots(engine, minutes: int) -> None:
    with Session(engine) as db:
        db.execute(update(ReportSnapshot).values(computed_at=utcnow() - dt.timedelta(minutes=minutes)))
        db.commit()


def test_a_wide_report_is_computed_once_then_served_with_its_time(client, engine, program):
    sign_in(client, "root")
    first = client.get("/outcomes?year=2570&area=34&by=district")
    assert first.status_code == 200
    assert practising(first) == "83.3" and as_of(first) is None  # computed while the user waited
    assert len(snapshots(engine)) == 1

    survey_d_not_practising(engine, program)
    young = client.get("/outcomes?year=2570&area=34&by=district")
    assert practising(young) == "83.3" and as_of(young) is not None  # the data moved; the snapshot is young
    assert "ตัวเลข ณ" in young.text

    age_snapshots(engine, 11)
    stale = client.get("/outcomes?year=2570&area=34&by=district")
    assert practising(stale) == "83.3"  # answered at once with what there is...
    again = client.get("/outcomes?year=2570&area=34&by=district")
    assert practising(again) == "71.4"  # ...and computed again after that response
    assert as_of(again) > as_of(stale)
    assert snapshots(engine)[0].refreshing_since is None


def test_a_snapshot_nothing_changed_since_is_served_however_old(client, engine, program):
    sign_in(client, "root")
    client.get("/progress?year=2570&area=34")
    age_snapshots(engine, 600)
    with Session(engine) as db:
        before = db.exec(select(ReportSnapshot.computed_at)).one()[0]
    page = client.get("/progress?year=2570&area=34")
    assert page.status_code == 200 and as_of(page) is not None
    with Session(engine) as db:
        assert db.exec(select(ReportSnapshot.computed_at)).one()[0] == before  # not computed again


def test_one_process_computes_a_stale_snapshot_again(client, engine, program):
    sign_in(client, "root")
    client.get("/outcomes?year=2570&area=34&by=district")
    survey_d_not_practising(engine, program)
    age_snapshots(engine, 11)
    with Session(engine) as db:  # another server process is computing it now
        db.execute(update(ReportSnapshot).values(refreshing_since=utcnow()))
        db.commit()
    client.get("/outcomes?year=2570&area=34&by=district")
    assert practising(client.get("/outcomes?year=2570&area=34&by=district")) == "83.3"  # left to that process

    with Session(engine) as db:  # that process died long ago: its claim has expired
        db.execute(update(ReportSnapshot).values(refreshing_since=utcnow() - dt.timedelta(minutes=30)))
        db.commit()
    client.get("/outcomes?year=2570&area=34&by=district")
    assert practising(client.get("/outcomes?year=2570&area=34&by=district")) == "71.4"


def test_each_area_has_its_own_snapshot(client, engine, program):
    sign_in(client, "root")
    country = client.get("/outcomes?year=2570&area=34&by=district")
    assert 'data-unit="3415"' in country.text
    client.cookies.clear()
    sign_in(client, "boss")
    district = client.get("/outcomes?year=2570&by=subdistrict")
    assert district.status_code == 200
    assert "3415" not in re.sub(r"<select.*?</select>", "", district.text, flags=re.S)
    assert len(snapshots(engine)) == 2


def test_a_district_report_is_computed_on_every_request(client, engine, program, settings):
    client.app.state.settings = dataclasses.replace(settings, snapshot_trainings=2000)
    sign_in(client, "boss")
    page = client.get("/outcomes?year=2570&by=subdistrict")
    assert page.status_code == 200 and as_of(page) is None
    with Session(engine) as db:
        assert db.exec(select(func.count()).select_from(ReportSnapshot)).one()[0] == 0


def test_the_country_is_computed_before_anyone_asks(client, engine, program):
    from server.reports.snapshots import warm_country

    assert warm_country(engine, [2570], TODAY) == 2
    sign_in(client, "root")
    outcomes, progress = client.get("/outcomes?year=2570"), client.get("/progress?year=2570")
    assert as_of(outcomes) is not None and practising(outcomes) == "83.3"
    assert as_of(progress) is not None
    assert len(snapshots(engine)) == 2  # the pages found what the command stored


def test_progress_of_another_day_is_served_once_more_while_todays_is_computed(client, engine, program,
                                                                                monkeypatch):

    sign_in(client, "root")
    client.get("/progress?year=2570&area=34")
    freeze_thai_today(monkeypatch, TODAY + dt.timedelta(days=1))
    sign_in(client, "root")  # a day later the sign-in of yesterday has expired
    with Session(engine) as db:
        before = db.exec(select(ReportSnapshot)).one()[0]
    assert before.payload["day"] == TODAY.isoformat()
    page = client.get("/progress?year=2570&area=34")  # nothing changed but the day
    assert as_of(page) is not None
    with Session(engine) as db:
        after = db.exec(select(ReportSnapshot)).one()[0]
    assert after.payload["day"] == (TODAY + dt.timedelta(days=1)).isoformat()
    assert after.computed_at > before.computed_at and len(snapshots(engine)) == 1


def test_a_new_5k_assessment_makes_progress_stale(client, engine, program):
    from server.models import FiveKAssessment, OccupationGroup

    sign_in(client, "root")
    client.get("/progress?year=2570&area=34")
    age_snapshots(engine, 11)
    with Session(engine) as db:
        before = db.exec(select(ReportSnapshot.computed_at)).one()[0]
        group = db.exec(select(OccupationGroup)).first()[0]
        db.add(FiveKAssessment(group_id=group.id, assessed_on=dt.date(2027, 8, 1), scores={}))  # as the page does
        db.commit()
    client.get("/progress?year=2570&area=34")  # the sync counter did not move; the figures' version did
    with Session(engine) as db:
        assert db.exec(select(ReportSnapshot.computed_at)).one()[0] > before


@pytest.mark.usefixtures("pg_only")  # SQLite writers queue for its one lock: no two inserts can cross
def test_two_first_views_at_once_both_store_without_error(engine, program):
    """Both found no snapshot and computed; the second stores while the first's insert is not yet
    committed (it waits for it, then must update rather than fail on the key)."""
    import threading

    from server.reports import snapshots as module
    from server.reports.figures import Outcome

    tables, failures = {"total": {"": Outcome(key="")}}, []

    def second_view() -> None:
        try:
            with Session(engine) as late:
                module._store(late, "same-report", tables, 2, None)
                late.commit()
        except Exception as error:  # noqa: BLE001 (reported by the assertion below)
            failures.append(error)

    with Session(engine) as early:
        module._store(early, "same-report", tables, 1, None)
        other = threading.Thread(target=second_view)
        other.start()
        other.join(timeout=1)  # it waits on the first one's uncommitted row
        early.commit()
    other.join(timeout=30)
    assert failures == []
    [stored] = snapshots(engine)
    assert stored.counter == 2 and stored.payload["tables"]["total"][""]["key"] == ""


@pytest.mark.usefixtures("pg_only")
def test_the_request_transaction_has_ended_before_the_refresh_runs(client, engine, program, monkeypatch):
    from sqlalchemy import text

    from server.reports import snapshots as module

    sign_in(client, "root")
    client.get("/outcomes?year=2570&area=34&by=district")
    survey_d_not_practising(engine, program)
    age_snapshots(engine, 11)
    open_elsewhere, original = [], module._refresh

    def refresh(*args):  # noqa: ANN002
        with engine.connect() as conn:
            open_elsewhere.append(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()")).scalar_one())
        original(*args)

    monkeypatch.setattr(module, "_refresh", refresh)
    client.get("/outcomes?year=2570&area=34&by=district")
    assert open_elsewhere == [0]  # the page's own session was over once its response was sent
    assert practising(client.get("/outcomes?year=2570&area=34&by=district")) == "71.4"
