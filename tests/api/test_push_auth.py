"""A push without a valid token is answered 401 before its body is read, whatever the body."""
import gzip
import json

import pytest
from sqlmodel import Session

from tests.support.factories import make_user
from tests.sync.helpers import sign_in

BODIES = {
    "schema 2": (json.dumps({"schema": 2, "ops": []}).encode(), {}),
    "not json": (b"{garbage", {}),
    "bad gzip": (b"not gzip at all", {"Content-Encoding": "gzip"}),
    "over 5 MB": (b" " * (5 * 1024 * 1024 + 10), {}),
    "gzip bomb": (gzip.compress(b" " * (6 * 1024 * 1024)), {"Content-Encoding": "gzip"}),
    "brotli": (b"{}", {"Content-Encoding": "br"}),
}


@pytest.fixture
def tokens(client, engine):
    with Session(engine) as s:
        make_user(s, username="somchai", role="officer")
    revoked = sign_in(client, "somchai", "lost phone")
    assert client.delete("/api/auth/token", headers=revoked).status_code == 204
    return {"none": {}, "wrong": {"Authorization": "Bearer not-a-token"}, "not bearer": {"Authorization": "Basic eDp5"},
            "revoked": revoked}


@pytest.mark.parametrize("token", ["none", "wrong", "not bearer", "revoked"])
def test_anonymous_push_is_401_before_the_body_is_read(client, tokens, token):
    for name, (content, extra) in BODIES.items():
        response = client.post("/api/sync/push", content=content,
                               headers={"Content-Type": "application/json", **tokens[token], **extra})
        assert response.status_code == 401, (name, response.text)
        assert response.json()["error"] in ("missing_token", "invalid_token")
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_valid_token_still_gets_the_body_checks(client, tokens):
    phone = sign_in(client, "somchai")
    for name, status in (("schema 2", 409), ("not json", 400), ("bad gzip", 400), ("over 5 MB", 413),
                         ("gzip bomb", 413), ("brotli", 415)):
        content, extra = BODIES[name]
        response = client.post("/api/sync/push", content=content,
                               headers={"Content-Type": "application/json", **phone, **extra})
        assert response.status_code == status, (name, response.text)
