"""Failed sign-ins slow the client that guesses, never the user signing in from elsewhere; failed API
sign-ins are audited; the throttle table stays small however many names are tried."""
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import func, update
from sqlmodel import Session, select

from server.auth import signin
from server.models import AuditEntry, LoginThrottle
from tests.support.factories import DEFAULT_PASSWORD, make_geography, make_user


def _user(engine):
    with Session(engine) as db:
        make_geography(db)
        make_user(db, username="somchai", role="officer", subdistrict_codes=["341401"])
        db.commit()


def _from(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def _token(client: httpx.Client, base: str, password: str) -> httpx.Response:
    return client.post(f"{base}/api/auth/token",
                       json={"username": "somchai", "password": password, "device_name": "phone"})


def test_an_anonymous_guesser_is_slowed_and_the_user_elsewhere_signs_in(engine, live_server, settings):
    _user(engine)
    with _from("127.0.0.2") as attacker, _from("127.0.0.1") as officer:
        for _ in range(settings.max_failed_logins):
            assert _token(attacker, live_server, "guess").status_code == 401
        slowed = _token(attacker, live_server, DEFAULT_PASSWORD)
        assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) > 0

        assert _token(officer, live_server, DEFAULT_PASSWORD).status_code == 201
        page = officer.get(f"{live_server}/login")
        signed_in = officer.post(f"{live_server}/login", follow_redirects=False, data={
            "username": "somchai", "password": DEFAULT_PASSWORD, "_csrf_token": officer.cookies["csrftoken"]},
            headers={"x-csrftoken": officer.cookies["csrftoken"]})
        assert page.status_code == 200 and signed_in.status_code in (302, 303), signed_in.text
    with Session(engine) as db:
        failed = db.exec(select(AuditEntry).where(AuditEntry.action == "sign_in_failed")).all()
    assert len(failed) == settings.max_failed_logins
    assert all(e.detail["via"] == "api" and e.detail["username"] == "somchai" for e in failed)
    assert {e.detail["client"] for e in failed} == {"127.0.0.2"}


def test_the_throttle_table_stays_bounded_after_many_names(client, engine, settings):
    _user(engine)
    for n in range(120):
        answer = client.post("/api/auth/token", json={"username": f"ghost{n}", "password": "x", "device_name": "p"})
        assert answer.status_code in (401, 429)
    with Session(engine) as db:
        rows = db.exec(select(func.count()).select_from(LoginThrottle)).one()
    # One client: refused for every name after CLIENT_FACTOR x the limit, so few rows whatever it tries.
    assert rows <= settings.max_failed_logins * signin.CLIENT_FACTOR + 1
    assert answer.status_code == 429

    with Session(engine) as db:  # the lock period passes: old rows go with the next failure
        long_ago = datetime.now(timezone.utc) - timedelta(minutes=settings.lockout_minutes + 1)
        db.exec(update(LoginThrottle).values(last_failure_at=long_ago, locked_until=None))
        db.commit()
    client.post("/api/auth/token", json={"username": "somchai", "password": "x", "device_name": "p"})
    with Session(engine) as db:
        assert db.exec(select(func.count()).select_from(LoginThrottle)).one() == 2  # the name's and the client's
