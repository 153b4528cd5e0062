"""The field pages get the phone's device token from the browser sign-in, without a second password."""
from sqlmodel import Session, select

from server.models import AuditEntry, Device, User
from tests.foundation.helpers import csrf_token, post_form, sign_in
from tests.support.factories import make_geography, make_user

ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/131.0.0.0 Mobile Safari/537.36")


def _officer(engine, username="somchai"):
    with Session(engine) as db:
        make_geography(db)
        make_user(db, username=username, role="officer", subdistrict_codes=["341401"])


def _ask_for_token(client, **kwargs):
    return client.post("/field/device-token", headers={"x-csrftoken": csrf_token(client),
                                                       **kwargs.pop("headers", {})}, **kwargs)


def test_a_signed_in_officer_gets_a_working_device_token_listed_on_devices(client, engine):
    _officer(engine)
    sign_in(client, "somchai")
    response = _ask_for_token(client, json={"device_name": "  Galaxy   A05  "})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "device_id", "user"}
    assert body["user"]["username"] == "somchai" and body["user"]["role"] == "officer"
    assert isinstance(body["user"]["id"], int)
    with Session(engine) as db:
        device = db.get(Device, body["device_id"])
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "sign_in",
                                                 AuditEntry.device_id == device.id)).one()
    assert device.name == "Galaxy A05"
    assert body["token"] not in device.token_hash and len(device.token_hash) == 64
    assert entry.detail["via"] == "browser" and entry.user_id == body["user"]["id"]

    phone = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/sync/pull", headers=phone).status_code == 200
    assert "Galaxy A05" in client.get("/devices").text
    post_form(client, f"/devices/{device.id}/revoke", {})
    revoked = client.get("/api/sync/pull", headers=phone)
    assert revoked.status_code == 401 and revoked.json()["error"] == "invalid_token"


def test_without_a_body_the_phone_is_named_after_its_officer_and_a_short_number(client, engine):
    _officer(engine)
    sign_in(client, "somchai")
    # Chrome's reduced user agent names no model ("K"): the phone gets the first digits of its id.
    response = _ask_for_token(client, headers={"user-agent": ANDROID_CHROME + " " * 5 + "x" * 200})
    assert response.status_code == 201
    device_id = response.json()["device_id"]
    with Session(engine) as db:
        name = db.get(Device, device_id).name
        officer = db.exec(select(User).where(User.username == "somchai")).one()
    assert name == f"{officer.display_name} · #{device_id[:4].upper()}"


def test_each_request_is_a_new_device_and_another_users_browser_gets_its_own(client, engine):
    _officer(engine)
    with Session(engine) as db:
        make_user(db, username="malee", role="officer", subdistrict_codes=["341402"])
    sign_in(client, "somchai")
    first = _ask_for_token(client, json={"device_name": "a"}).json()
    second = _ask_for_token(client, json={"device_name": "b"}).json()
    assert first["device_id"] != second["device_id"] and first["token"] != second["token"]
    client.post("/logout", headers={"x-csrftoken": csrf_token(client)})
    sign_in(client, "malee")
    third = _ask_for_token(client, json={}).json()
    assert third["user"]["username"] == "malee"
    with Session(engine) as db:
        owners = {d.id: d.user_id for d in db.exec(select(Device)).all()}
    assert owners[first["device_id"]] == owners[second["device_id"]] != owners[third["device_id"]]


def test_not_signed_in_is_a_json_401_and_no_device(client, engine):
    _officer(engine)
    response = _ask_for_token(client, json={"device_name": "x"}, follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] == "login_required"
    with Session(engine) as db:
        assert db.exec(select(Device)).all() == []


def test_without_the_csrf_header_no_token_is_issued(client, engine):
    _officer(engine)
    sign_in(client, "somchai")
    response = client.post("/field/device-token", json={"device_name": "x"})
    assert response.status_code == 403
    with Session(engine) as db:
        assert db.exec(select(Device)).all() == []
