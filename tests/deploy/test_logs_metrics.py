"""What an operator reads: a JSON line per request with its id, user, status and time and no personal
data; the request id on the answer and the 5xx page; repeated errors folded; /metrics for allowed
callers only, with request latency by route, sync ops by result and the database's figures."""
from __future__ import annotations

import json
import logging
import re
import sys

import httpx
from litestar import get
from litestar.testing import TestClient
from sqlmodel import Session

import io
import threading
from queue import SimpleQueue

from server.web.observability import FoldRepeats, LogWriter, PlainFormatter
from tests.support.factories import DEFAULT_PASSWORD, make_geography, make_household, make_user, valid_citizen_id
from tests.support.servers import server_log, start_server, stop_server
from tests.sync.helpers import make_area, op, push_ok, sign_in


@get("/explode-for-reference", sync_to_thread=False)
def _page_bug() -> str:
    raise RuntimeError("a bug")


def _browser(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    client.get("/login")
    signed = client.post("/login", data={"username": username, "password": DEFAULT_PASSWORD,
                                         "_csrf_token": client.cookies["csrftoken"]})
    assert signed.status_code in (302, 303)
    return client


def test_json_request_lines_carry_id_user_status_and_time_and_no_personal_data(db_url, engine):
    with Session(engine) as db:
        geo = make_geography(db)
        user = make_user(db, username="somying", role="supervisor", district_code="3414")
        home = make_household(db, village_id=geo["villages"][0].id, citizen_id=valid_citizen_id(4242))
        user_id, name, citizen_id, home_id = user.id, home.head_name, home.citizen_id, home.id
    process, base = start_server(db_url, env={"SAMMACHIP_LOG": "json"})
    browser = _browser(base, "somying")
    try:
        listing = browser.get("/households", params={"q": name})
        assert listing.status_code == 200 and name in listing.text
        page = browser.get(f"/households/{home_id}/edit", headers={"X-Request-Id": "from-the-proxy-0001"})
        assert page.status_code == 200 and citizen_id[-4:] in page.text
        assert page.headers["x-request-id"] == "from-the-proxy-0001"
        odd = browser.get("/households", headers={"X-Request-Id": "not ok; <b>"})
        assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["x-request-id"])
        assert browser.get("/no-such-page").status_code == 404
    finally:
        browser.close()
        process.terminate()  # the lines still queued are written as the server stops
        process.wait(timeout=30)
        log = server_log(process)
        stop_server(process)
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "sammachip.request"]
    by_id = {line["request_id"]: line for line in requests}
    edit = by_id["from-the-proxy-0001"]
    assert edit["user_id"] == user_id and edit["status"] == 200 and edit["method"] == "GET"
    assert edit["route"] == "/households/{household_id}/edit" and edit["duration_ms"] >= 0
    assert {line["request_id"] for line in requests} >= {odd.headers["x-request-id"], listing.headers["x-request-id"]}
    assert any(line["status"] == 404 and line["route"] == "unmatched" for line in requests)
    assert len(requests) >= 6  # every request, sign-in included
    assert name not in log and citizen_id not in log and home_id not in log
    assert "Traceback" not in log


def test_the_error_page_and_the_api_error_name_the_request(app, engine):
    app.register(_page_bug)
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/explode-for-reference")
        assert page.status_code == 500
        assert page.headers["x-request-id"] in page.text
        missing = client.get("/no-such-page")
        assert missing.headers["x-request-id"] not in missing.text  # only a 5xx page shows it


def test_the_same_error_is_written_once_then_counted(monkeypatch):
    fold = FoldRepeats(seconds=60)
    clock = iter([100.0, 101.0, 102.0, 130.0, 161.0])
    monkeypatch.setattr("server.web.observability.time.monotonic", lambda: next(clock))
    try:
        raise ConnectionError("database down")
    except ConnectionError:
        exc_info = sys.exc_info()

    def record() -> logging.LogRecord:
        return logging.LogRecord("sammachip", logging.ERROR, __file__, 1, "unexpected error on %s %s",
                                 ("GET", "/"), exc_info)

    written = [fold.filter(r := record()) and r for _ in range(5)]
    assert [bool(w) for w in written] == [True, False, False, False, True]
    assert written[-1].folded == 3
    info = logging.LogRecord("sammachip.request", logging.INFO, __file__, 1, "GET / 200", (), None)
    assert all(fold.filter(info) for _ in range(3))  # request lines are never folded


class _CountedWrites(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_log_lines_are_written_in_batches_in_order_and_all_of_them_by_the_end():
    stream = _CountedWrites()
    output = logging.StreamHandler(stream)
    output.setFormatter(PlainFormatter())
    queue: SimpleQueue = SimpleQueue()
    writer = LogWriter(queue, output, gather=0.2)
    writer.start()

    def requests(worker: int) -> None:
        for n in range(200):
            queue.put(logging.LogRecord("sammachip.request", logging.INFO, __file__, 1, "worker %d line %d",
                                        (worker, n), None))

    workers = [threading.Thread(target=requests, args=(w,)) for w in range(4)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    writer.stop()  # what is still queued is written before it returns
    lines = stream.getvalue().splitlines()
    assert len(lines) == 800
    for worker in range(4):
        assert [line.split()[-1] for line in lines if f"worker {worker} " in line] == [str(n) for n in range(200)]
    assert stream.writes < 20  # a write per batch, not per line


def test_metrics_for_allowed_callers_only(db_url, engine, monkeypatch):
    with Session(engine, expire_on_commit=False) as db:
        area = make_area(db)
    process, base = start_server(db_url, env={"METRICS_TOKEN": "metrics-token-for-tests"})
    refused, _ = start_server(db_url, env={"METRICS_ALLOW": "10.0.0.0/8"})
    try:
        with httpx.Client(base_url=base, timeout=30) as phone_client:
            phone = sign_in(phone_client, "somchai")
            push_ok(phone_client, phone, [op("attendance", fields={"session_id": area.sessions[0].id,
                                                                   "household_id": area.households[0].id,
                                                                   "present": True})])
            phone_client.get("/login")
            metrics = phone_client.get("/metrics")  # from the loopback: allowed by default
        assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
        text = metrics.text
        assert re.search(r'sammachip_request_duration_seconds_bucket\{.*route="/login".*\} [1-9]', text)
        assert re.search(r'sammachip_request_duration_seconds_count\{method="POST",route="/api/sync/push",'
                         r'status="200"\} 1\.0', text)
        assert 'sammachip_sync_ops_total{result="applied"} 1.0' in text
        assert "sammachip_open_conflicts 0.0" in text
        assert 'sammachip_review_tasks_pending{status="open"} 0.0' in text
        assert 'sammachip_db_pool_connections{state="in_use"}' in text
        assert "somchai" not in text

        refused_base = f"http://127.0.0.1:{refused.args[refused.args.index('--port') + 1]}"
        assert httpx.get(f"{refused_base}/metrics", timeout=30).status_code == 403
        assert httpx.get(f"{refused_base}/metrics", headers={"Authorization": "Bearer metrics-token-for-tests"},
                         timeout=30).status_code == 403  # that server has no token set
    finally:
        stop_server(process)
        stop_server(refused)


def test_a_token_opens_metrics_to_other_addresses(app, monkeypatch):
    from server.web.observability import MetricsAccess

    app.state.metrics_access = MetricsAccess.from_env()
    with TestClient(app) as client:  # the test client's address is not a loopback address
        assert client.get("/metrics").status_code == 403
    monkeypatch.setenv("METRICS_TOKEN", "a-long-metrics-token")
    app.state.metrics_access = MetricsAccess.from_env()
    with TestClient(app) as client:
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        answer = client.get("/metrics", headers={"Authorization": "Bearer a-long-metrics-token"})
        assert answer.status_code == 200 and "sammachip_open_conflicts" in answer.text
