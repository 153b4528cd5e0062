"""The server's part of a shared phone: it tells the phone whose session the browser holds, and a
sign-out made with no signal names the phone's device, which is revoked for that user only."""
from sqlmodel import Session, select

from server.models import AuditEntry, Device
from tests.foundation.helpers import csrf_token, post_form, sign_in
from tests.support.factories import make_geography, make_user


def _officers(engine):
    with Session(engine) as db:
        make_geography(db)
        make_user(db, username="somchai", role="officer", subdistrict_codes=["341401"])
        make_user(db, username="malee", role="officer", subdistrict_codes=["341402"])


def _token(client):
    return client.post("/field/device-token", headers={"x-csrftoken": csrf_token(client)}, json={}).json()


def test_the_phone_learns_whose_session_the_browser_holds(client, engine):
    _officers(engine)
    nobody = client.get("/field/session-user")
    assert nobody.status_code == 401 and nobody.json()["error"] == "login_required"
    sign_in(client, "malee")
    answer = client.get("/field/session-user")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert answer.json()["user"]["username"] == "malee" and set(answer.json()["user"]) == {"id", "username", "role"}


def test_a_sign_out_naming_its_device_revokes_it_only_for_its_own_user(client, engine):
    _officers(engine)
    sign_in(client, "malee")
    hers = _token(client)
    client.post("/logout", headers={"x-csrftoken": csrf_token(client)})
    sign_in(client, "somchai")
    his = _token(client)
    post_form(client, "/logout", {"device_id": hers["device_id"]})  # not his: left alone
    sign_in(client, "somchai")
    post_form(client, "/logout", {"device_id": his["device_id"]})
    with Session(engine) as db:
        assert db.get(Device, hers["device_id"]).revoked_at is None
        assert db.get(Device, his["device_id"]).revoked_at is not None
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "sign_out",
                                                 AuditEntry.device_id == his["device_id"])).one()
        assert entry.user_id == his["user"]["id"]
    phone = {"Authorization": f"Bearer {his['token']}"}
    assert client.get("/api/sync/pull", headers=phone).status_code == 401
