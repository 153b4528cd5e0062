"""Bombs sent to a real server process: its peak memory stays within 150 MB of where it started, and
another user's pages are answered while three bombs are read at once."""
from __future__ import annotations

import html
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.support import hostile_files as hostile
from tests.support.load import seed_district, sign_in_browser
from tests.support.servers import start_server, stop_server

MB = 1024 * 1024


def memory_kb(pid: int, field: str) -> int:
    """VmRSS (now) or VmHWM (the peak) of a process, in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def upload(client, content: bytes, filename: str = "households.xlsx"):
    return client.post("/households/import", files={"file": (filename, content)},
                       data={"_csrf_token": client.cookies["csrftoken"]})


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    return {name: make() for name, make in hostile.BOMBS.items()}


@pytest.fixture
def district_server(db_url, engine):
    with Session(engine) as db:
        district = seed_district(db, villages=2, households_per_village=5, officers=4)
    process, base_url = start_server(db_url)
    yield district, base_url, process
    stop_server(process)


def test_each_bomb_is_refused_in_words_with_the_servers_memory_bounded(district_server, bombs):
    district, base_url, process = district_server
    officer = sign_in_browser(base_url, district.usernames[1], timeout=120)
    assert officer.get("/households/import").status_code == 200  # pages and templates loaded
    start = memory_kb(process.pid, "VmRSS")
    for name, content in bombs.items():
        response = upload(officer, content)
        assert 400 <= response.status_code < 500, (name, response.status_code)
        assert response.headers["content-type"].startswith("text/html")
        assert 'class="error"' in response.text, name
        growth = memory_kb(process.pid, "VmHWM") - start
        assert growth < 150 * 1024, f"{name}: the server's peak memory grew {growth // 1024} MB"
    officer.close()


def test_another_user_is_answered_while_three_bombs_are_read(district_server, bombs):
    district, base_url, _process = district_server
    senders = [sign_in_browser(base_url, name, timeout=120) for name in district.usernames[1:4]]
    other = sign_in_browser(base_url, district.usernames[4], timeout=120)
    contents = [bombs["dimension bomb"], bombs["1M rows"], bombs["zip bomb"]]
    with ThreadPoolExecutor(3) as pool:
        sent = [pool.submit(upload, client, content) for client, content in zip(senders, contents)]
        page = other.get("/households")
        answers = [future.result() for future in sent]
    assert page.status_code == 200
    assert "นางสมมุติ ตัวอย่าง" in html.unescape(page.text)  # the list, with its households
    # Each bomb is answered: refused with its reason, or (past the reading slots) told to try again.
    assert all(a.status_code in (422, 503) for a in answers), [a.status_code for a in answers]
    for client in (*senders, other):
        client.close()
