"""Nothing that touches the database runs on the event loop; a busy database answers 503, not a hang.

One blocking call on the loop stops every request of the process (it froze this app under eight
users): these tests read the app's own declarations, and drive a real server whose database is
held locked by someone else.
"""
import inspect
import signal
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from server.app import create_app
from server.web.request_session import provide_db
from tests.support.databases import sqlite_path
from tests.support.load import device_token, seed_district, sign_in_browser
from tests.support.servers import start_server, stop_server

# The session itself is the database; these dependencies reach it.
_DATABASE = "db"


def _parameters(fn) -> set[str]:
    return set(inspect.signature(fn).parameters)


def _database_dependencies(provides: dict) -> set[str]:
    """Names of the dependencies that use the database, directly or through another dependency."""
    using = {_DATABASE}
    grew = True
    while grew:
        grew = False
        for name, provide in provides.items():
            if name not in using and _parameters(provide.dependency) & using:
                using.add(name)
                grew = True
    return using


def _runs_on_loop(callable_, sync_to_thread: bool | None) -> bool:
    return inspect.iscoroutinefunction(callable_) or not sync_to_thread


def loop_offenders(app) -> list[str]:
    """Handlers and dependencies that use the database yet are declared to run on the event loop."""
    offenders = []
    checked = 0
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            provides = handler.resolve_dependencies()
            using = _database_dependencies(provides)
            if _parameters(handler.fn) & using and _runs_on_loop(handler.fn, handler.sync_to_thread):
                offenders.append(f"handler {route.path} {handler.fn.__name__}")
            for name, provide in provides.items():
                # provide_db hands over the session the middleware opened; it does no I/O itself.
                if name in using and provide.dependency is not provide_db and _runs_on_loop(
                        provide.dependency, provide.sync_to_thread):
                    offenders.append(f"dependency {name} ({provide.dependency.__name__}) of {route.path}")
            checked += 1
    assert checked > 50
    return sorted(set(offenders))


def test_no_handler_or_dependency_that_uses_the_database_runs_on_the_event_loop(app):
    assert loop_offenders(app) == []


def test_the_check_above_catches_a_handler_declared_on_the_loop(settings, engine):
    from litestar import Router, get
    from litestar.di import Provide

    def reads(db: Session) -> str:  # a dependency that reads the database
        return "x"

    @get("/blocking", sync_to_thread=False)
    def blocking(db: Session) -> str:
        return "x"

    @get("/fine", sync_to_thread=False)
    def fine() -> str:
        return "x"

    app = create_app(settings, engine)
    app.register(Router(path="/probe", route_handlers=[blocking, fine],
                        dependencies={"reader": Provide(reads, sync_to_thread=False)}))
    offenders = loop_offenders(app)
    assert "handler /probe/blocking blocking" in offenders
    assert "dependency reader (reads) of /probe/fine" in offenders
    assert "handler /probe/fine fine" not in offenders


@pytest.fixture
def district_server(db_url, engine):
    with Session(engine) as db:
        district = seed_district(db, villages=4, households_per_village=10, officers=8)
    process, base_url = start_server(db_url)
    yield district, base_url, process
    stop_server(process)


def test_eight_browsers_opening_the_lists_at_once_all_get_their_pages(district_server):
    district, base_url, _process = district_server
    users = [sign_in_browser(base_url, name, timeout=20) for name in district.usernames[1:9]]
    pages = ["/households", "/sages", "/villages", "/trainings"] * 2

    def open_lists(pair):
        client, path = pair
        return [client.get(page).status_code for page in (path, *pages[:4])]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(open_lists, zip(users, pages)))
    assert answers == [[200] * 5] * 8
    assert httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200
    for client in users:
        client.close()


def test_two_concurrent_invalid_form_posts_both_answer_and_leave_no_transaction_open(
        district_server, db_url, is_postgres):
    district, base_url, _process = district_server
    first, second = (sign_in_browser(base_url, name, timeout=20) for name in district.usernames[1:3])

    def post_invalid(client):
        return client.post("/households", data={"_csrf_token": client.cookies["csrftoken"],
                                                "village_id": district.village_ids[0], "house_no": "",
                                                "head_name": "", "members": "0", "annual_income": "-1"})

    for _round in range(5):
        with ThreadPoolExecutor(2) as pool:
            statuses = [r.status_code for r in pool.map(post_invalid, (first, second))]
        assert statuses == [422, 422]
    if is_postgres:
        engine = create_engine(make_url(db_url).set(drivername="postgresql+psycopg"))
        with engine.connect() as conn:
            stuck = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND state = 'idle in transaction'")).scalar_one()
        engine.dispose()
        assert stuck == 0
    assert first.get("/households").status_code == 200


class _HeldWriteLock:
    """Someone else holds the database's write lock (SQLite) or the sync counter's row lock (PostgreSQL)."""

    def __init__(self, db_url: str, is_postgres: bool) -> None:
        self.db_url, self.is_postgres = db_url, is_postgres

    def __enter__(self):
        if self.is_postgres:
            self.engine = create_engine(make_url(self.db_url).set(drivername="postgresql+psycopg"))
            self.conn = self.engine.connect()
            self.conn.execute(text("SELECT value FROM sync_counter WHERE id = 1 FOR UPDATE"))
        else:
            self.conn = sqlite3.connect(sqlite_path(self.db_url), isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc):
        if self.is_postgres:
            self.conn.rollback()
            self.conn.close()
            self.engine.dispose()
        else:
            self.conn.execute("ROLLBACK")
            self.conn.close()


def test_a_write_blocked_by_a_held_lock_answers_503_with_retry_after_while_reads_and_healthz_go_on(
        district_server, db_url, is_postgres):
    district, base_url, _process = district_server
    browser = sign_in_browser(base_url, district.usernames[1], timeout=30)
    token = device_token(base_url, district.usernames[1], timeout=30)
    session_id, households = district.sessions[0]
    push = {"schema": 1, "ops": [{"op_id": str(uuid.uuid4()), "entity": "attendance", "id": str(uuid.uuid4()),
                                  "action": "upsert", "base_seq": None,
                                  "captured_at": "2026-11-24T09:15:00+07:00",
                                  "fields": {"session_id": session_id, "household_id": households[0],
                                             "present": True}}]}
    answers = {}
    with _HeldWriteLock(db_url, is_postgres):
        def pushing():
            answers["push"] = httpx.post(f"{base_url}/api/sync/push", json=push, timeout=60,
                                         headers={"Authorization": f"Bearer {token}"})
        pusher = threading.Thread(target=pushing)
        pusher.start()
        time.sleep(0.5)
        # Meanwhile the process answers everyone else: reads do not queue behind the lock (a page
        # that records a view of personal data writes, and waits for the lock like any writer).
        assert httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
        assert browser.get("/villages").status_code == 200
        assert browser.get("/trainings").status_code == 200
        pusher.join(60)
    response = answers["push"]
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["error"] == "busy"
    # Nothing of it was stored; sent again once the lock is gone, it is applied.
    again = httpx.post(f"{base_url}/api/sync/push", json=push, timeout=30,
                       headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 200 and again.json()["results"][0]["status"] == "applied"
    browser.close()


def test_a_process_with_a_request_stuck_on_the_database_still_answers_healthz_and_stops_on_sigterm(
        db_url, engine, is_postgres):
    with Session(engine) as db:
        district = seed_district(db, villages=2, households_per_village=5, officers=1)
    process, base_url = start_server(db_url)
    try:
        browser = sign_in_browser(base_url, district.usernames[1], timeout=30)
        with _HeldWriteLock(db_url, is_postgres):
            stuck = threading.Thread(target=lambda: browser.post("/households", data={
                "_csrf_token": browser.cookies["csrftoken"], "village_id": district.village_ids[0],
                "house_no": "77/1", "head_name": "นายทดลอง ค้าง", "members": "2", "annual_income": "1000"}))
            stuck.start()
            time.sleep(0.5)
            assert httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
        stuck.join(30)
        assert process.returncode is not None
        browser.close()
    finally:
        stop_server(process)
