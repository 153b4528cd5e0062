"""Device tokens: sign in, bearer checks, revoking, the device list and the sign-in limit."""
from sqlmodel import Session, select

from server.models import Device, User
from tests.support.factories import make_user
from tests.sync.helpers import sign_in


def _user(engine, username="somchai", role="officer"):
    with Session(engine) as s:
        make_user(s, username=username, role=role)


def test_token_is_issued_and_stored_hashed(client, engine):
    _user(engine)
    response = client.post("/api/auth/token", json={"username": "somchai", "password": "pw-test-1234",
                                                    "device_name": "Galaxy A05"},
                           headers={"X-App-Version": "1.4.0"})
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["username"] == "somchai" and body["user"]["role"] == "officer"
    with Session(engine) as s:
        device = s.get(Device, body["device_id"])
    assert device.name == "Galaxy A05" and device.app_version == "1.4.0"
    assert body["token"] not in device.token_hash and len(device.token_hash) == 64


def test_wrong_password_is_401_structured(client, engine):
    _user(engine)
    response = client.post("/api/auth/token", json={"username": "somchai", "password": "nope", "device_name": "x"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials" and response.json()["message"]


def test_too_many_failures_lock_the_name_for_the_api_too(client, engine, settings):
    _user(engine)
    for _ in range(settings.max_failed_logins):
        client.post("/api/auth/token", json={"username": "somchai", "password": "nope", "device_name": "x"})
    response = client.post("/api/auth/token", json={"username": "somchai", "password": "pw-test-1234",
                                                    "device_name": "x"})
    assert response.status_code == 429
    assert response.json()["error"] == "too_many_attempts" and int(response.headers["retry-after"]) > 0


def test_missing_wrong_and_revoked_tokens_get_401(client, engine):
    _user(engine)
    phone = sign_in(client, "somchai")
    assert client.get("/api/sync/pull").json()["error"] == "missing_token"
    wrong = client.get("/api/sync/pull", headers={"Authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_token"
    assert client.get("/api/sync/pull", headers=phone).status_code == 200
    assert client.delete("/api/auth/token", headers=phone).status_code == 204
    revoked = client.post("/api/sync/push", json={"schema": 1, "ops": []}, headers=phone)
    assert revoked.status_code == 401 and revoked.json()["error"] == "invalid_token"


def test_a_deactivated_users_phone_gets_401_on_push_and_pull(client, engine):
    _user(engine)
    phone = sign_in(client, "somchai")
    assert client.get("/api/sync/pull", headers=phone).status_code == 200
    with Session(engine) as db:
        user = db.exec(select(User).where(User.username == "somchai")).one()
        user.active = False
        db.add(user)
        db.commit()
    for answer in (client.get("/api/sync/pull", headers=phone),
                   client.post("/api/sync/push", json={"schema": 1, "ops": []}, headers=phone)):
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"


def test_devices_are_listed_to_their_owner_and_revoked_by_owner_or_admin(client, engine):
    _user(engine)
    _user(engine, "malee")
    _user(engine, "root", "admin")
    mine, lost = sign_in(client, "somchai", "new phone"), sign_in(client, "somchai", "lost phone")
    other = sign_in(client, "malee")
    listed = client.get("/api/devices", headers=mine).json()
    assert sorted(d["name"] for d in listed) == ["lost phone", "new phone"]
    assert [d["current"] for d in listed if d["name"] == "new phone"] == [True]
    lost_id = next(d["id"] for d in listed if d["name"] == "lost phone")
    assert client.delete(f"/api/devices/{lost_id}", headers=other).status_code == 404
    assert client.delete(f"/api/devices/{lost_id}", headers=mine).status_code == 204
    assert client.get("/api/sync/pull", headers=lost).status_code == 401
    admin = sign_in(client, "root")
    assert len(client.get("/api/devices", headers=admin).json()) == 4  # revoked ones stay listed
    malee_device = next(d["id"] for d in client.get("/api/devices", headers=other).json())
    assert client.delete(f"/api/devices/{malee_device}", headers=admin).status_code == 204
    assert client.get("/api/sync/pull", headers=other).status_code == 401


def test_last_seen_is_recorded(client, engine):
    _user(engine)
    phone = sign_in(client, "somchai")
    client.get("/api/sync/pull", headers={**phone, "X-App-Version": "2.0.0"})
    with Session(engine) as s:
        device = s.exec(select(Device)).one()
    assert device.last_seen_at is not None and device.app_version == "2.0.0"
