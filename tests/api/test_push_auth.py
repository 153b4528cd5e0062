"""A push without a valid token is answered 401 whatever the body; a body that is large, compressed or
of no declared length is not read before the token is checked."""
import gzip
import json

import pytest
from sqlmodel import Session

from server.models import Household, SyncOp
from tests.support.factories import make_user
from tests.sync.helpers import count, op, sign_in

BODIES = {
    "a push": (json.dumps({"schema": 1, "ops": [op("household", fields={"house_no": "9", "head_name": "นางใจดี"})]}).encode(), {}),
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
    with Session(client.app.state.engine) as db:
        assert count(db, SyncOp) == 0 and count(db, Household) == 0


def test_a_valid_token_still_gets_the_body_checks(client, tokens):
    phone = sign_in(client, "somchai")
    for name, status in (("schema 2", 409), ("not json", 400), ("bad gzip", 400), ("over 5 MB", 413),
                         ("gzip bomb", 413), ("brotli", 415)):
        content, extra = BODIES[name]
        response = client.post("/api/sync/push", content=content,
                               headers={"Content-Type": "application/json", **phone, **extra})
        assert response.status_code == status, (name, response.text)


def test_a_small_plain_push_is_identified_in_the_handlers_thread_and_a_compressed_one_first(client, tokens,
                                                                                           monkeypatch):
    """A phone's usual push saves the separate trip to a thread for its token; a gzip body is inflated
    only for a caller whose token was checked first."""
    import server.api.body as body

    checks = []
    check = body.check_request_token
    monkeypatch.setattr(body, "check_request_token", lambda scope: checks.append(1) or check(scope))
    phone = sign_in(client, "somchai")
    ops = json.dumps({"schema": 1, "ops": [op("household", fields={"house_no": "9", "head_name": "นางใจดี"})]})
    plain = client.post("/api/sync/push", content=ops.encode(), headers={"Content-Type": "application/json", **phone})
    assert plain.status_code == 200 and len(plain.json()["results"]) == 1  # answered (out of any area: rejected)
    assert checks == []
    zipped = client.post("/api/sync/push", content=gzip.compress(ops.replace("นางใจดี", "นางใจงาม").encode()),
                         headers={"Content-Type": "application/json", "Content-Encoding": "gzip", **phone})
    assert zipped.status_code == 200 and len(zipped.json()["results"]) == 1
    assert checks == [1]


def test_a_body_longer_than_it_said_is_cut_where_reading_before_the_check_ends(client, tokens):
    """However the body is framed, no more than `READ_BEFORE_CHECK` bytes are read before the token is checked."""
    phone = sign_in(client, "somchai")
    lying = b" " * (100 * 1024)
    for headers, status in ((tokens["wrong"], 401), (phone, 413)):
        response = client.post("/api/sync/push", content=lying,
                               headers={"Content-Type": "application/json", "Content-Length": "100", **headers})
        assert response.status_code == status, response.text
