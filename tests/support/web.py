"""Helpers for driving the app through `litestar.testing.TestClient`."""
from __future__ import annotations

from litestar.testing import TestClient

CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"


def csrf_token(client: TestClient, path: str = "/login") -> str:
    """The double-submit CSRF token; a GET sets the cookie if the client does not hold one yet."""
    token = client.cookies.get(CSRF_COOKIE)
    if not token:
        client.get(path)
        token = client.cookies.get(CSRF_COOKIE)
    assert token, "the app set no CSRF cookie"
    return token


def csrf_headers(client: TestClient, path: str = "/login") -> dict[str, str]:
    """Headers for an HTMX-style form POST (the token sent as a header, like the pages do)."""
    return {CSRF_HEADER: csrf_token(client, path)}
