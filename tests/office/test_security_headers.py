"""Every page of every role carries the security headers, and no page holds what the strict
Content-Security-Policy would block (inline script, event-handler attributes, style attributes)."""
from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from server.app import create_app
from server.core.settings import Settings
from tests.foundation.helpers import sign_in
from tests.office.conftest import add_user

LINK = re.compile(r'(?:href|hx-get)="(/[^"]*)"')
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
PAGES_PER_ROLE = 120


def assert_guarded(response, where: str) -> None:
    headers = response.headers
    policy = headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy and "script-src 'self'" in policy, where
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy, where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") == "same-origin", where
    assert headers.get("x-content-type-options") == "nosniff", where


def crawl(client, starts: list[str]) -> int:
    """Visit the pages reachable from `starts` by links (GET only), checking each; the number visited."""
    seen, queue, visited = set(starts), deque(starts), 0
    while queue and visited < PAGES_PER_ROLE:
        url = queue.popleft()
        response = client.get(url, follow_redirects=False)
        visited += 1
        assert_guarded(response, url)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        text = response.text
        assert not INLINE_SCRIPT.search(text), (url, INLINE_SCRIPT.search(text).group(0))
        assert not HANDLER.search(text), (url, HANDLER.search(text).group(0))
        assert not STYLE_ATTRIBUTE.search(text), (url, STYLE_ATTRIBUTE.search(text).group(0))
        for link in LINK.findall(text):
            link = urldefrag(link.replace("&amp;", "&"))[0]
            path = urlsplit(link).path
            if path.startswith(("/logout", "/static/")) or "format=" in link or link in seen:
                continue
            seen.add(link)
            queue.append(link)
    return visited


@pytest.mark.parametrize("username", ["root", "boss", "north"])
def test_every_page_of_every_role_carries_the_headers(username, client, world, engine, password_hash):
    with Session(engine) as db:
        add_user(db, password_hash, username="boss", role="supervisor")
        db.commit()
    with Session(engine) as db:  # a supervisor of the district
        from server.models import User

        boss = db.exec(__import__("sqlmodel").select(User).where(User.username == "boss")).one()
        boss.district_code = "3414"
        db.add(boss)
        db.commit()
    assert_guarded(client.get("/login"), "/login")
    assert_guarded(client.get("/no-such-page"), "404")
    sign_in(client, username)
    # The printed reports are reached from report pages deep down: start there too.
    visited = crawl(client, ["/", "/print/villages/34140101", "/print/districts/3414"])
    assert visited >= 15, visited
    for path in ("/field", "/field/outbox", "/sw.js", "/manifest.webmanifest", "/schema", "/healthz"):
        assert_guarded(client.get(path), path)


def test_hsts_only_behind_tls(db_url, engine):
    plain = create_app(Settings(database_url=db_url, development=True), engine)
    secure = create_app(Settings(database_url=db_url, development=True, secure_cookies=True), engine)
    with TestClient(plain) as client:
        assert "strict-transport-security" not in client.get("/login").headers
    with TestClient(secure) as client:
        assert "max-age=" in client.get("/login").headers["strict-transport-security"]
