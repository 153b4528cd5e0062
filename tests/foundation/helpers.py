"""Small helpers for page tests: sign in through the real form, post forms with the CSRF token."""
from __future__ import annotations

from litestar.testing import TestClient


def csrf_token(client: TestClient) -> str:
    if "csrftoken" not in client.cookies:
        assert client.get("/login").status_code == 200
    return client.cookies["csrftoken"]


def post_form(client: TestClient, url: str, data: dict, **kwargs):
    return client.post(url, data={**data, "_csrf_token": csrf_token(client)}, **kwargs)


def sign_in(client: TestClient, username: str, password: str = "pw-test-1234"):
    response = post_form(client, "/login", {"username": username, "password": password})
    assert response.status_code in (200, 302, 303), response.text
    return response
