"""An unexpected failure under /api is answered with the structured error body, never an HTML page."""
import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from tests.sync.helpers import make_area, push, sign_in


@pytest.fixture
def quiet_client(app):
    with TestClient(app, base_url="http://testserver.local", raise_server_exceptions=False) as client:
        yield client


def _boom(*_args, **_kwargs):
    raise RuntimeError("boom")


@pytest.mark.parametrize("where", ["server.api.sync.pull_page", "server.api.sync.apply_ops",
                                   "server.api.auth.check_token"])
def test_an_unexpected_error_is_a_structured_500(quiet_client, engine, monkeypatch, where):
    with Session(engine) as s:
        make_area(s)
    phone = sign_in(quiet_client, "somchai")
    monkeypatch.setattr(where, _boom)
    if "pull" in where:
        response = quiet_client.get("/api/sync/pull", headers=phone)
    else:
        response = push(quiet_client, phone, [])
    assert response.status_code == 500
    body = response.json()
    assert set(body) >= {"error", "message"} and "boom" not in response.text
