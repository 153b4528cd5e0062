"""Pull cursors are sealed: a forged, altered, cut or foreign cursor is refused and tells nothing;
`out_of_area` names only records of areas this device was sent; a cursor ahead of the server resyncs."""
import base64
import json

import pytest
from sqlmodel import Session
from sqlalchemy import text

from server.api.sync import cursor_key
from server.core.settings import Settings
from sync.pull import EVERYWHERE, Cursor
from tests.sync.helpers import make_area, pull_all, sign_in


def _device_id(client, username):
    response = client.post("/api/auth/token", json={"username": username, "password": "pw-test-1234",
                                                    "device_name": "phone"})
    body = response.json()
    return {"Authorization": f"Bearer {body['token']}"}, body["device_id"]


def _pull(client, headers, cursor):
    return client.get("/api/sync/pull", params={"cursor": cursor}, headers=headers)


def _assert_refused(response):
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_cursor"
    assert "outside" not in body["message"] and set(body) == {"error", "message"}


@pytest.fixture
def area(engine):
    with Session(engine, expire_on_commit=False) as s:
        return make_area(s, households=3)


def test_an_unsigned_cursor_claiming_the_whole_country_is_refused(client, area):
    phone = sign_in(client, "somchai")
    forged = base64.urlsafe_b64encode(json.dumps(
        {"v": 1, "s": 0, "a": "0000000000000000", "o": [EVERYWHERE]}).encode()).decode().rstrip("=")
    _assert_refused(_pull(client, phone, forged))
    _assert_refused(_pull(client, phone, forged + ".AAAA"))


def test_an_altered_or_truncated_cursor_is_refused(client, area):
    phone = sign_in(client, "somchai")
    _, cursor = pull_all(client, phone)
    payload, _, mac = cursor.rpartition(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["o"] = [EVERYWHERE]
    altered = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=") + "." + mac
    _assert_refused(_pull(client, phone, altered))
    _assert_refused(_pull(client, phone, cursor[:-2]))
    _assert_refused(_pull(client, phone, cursor[:len(payload)]))
    assert _pull(client, phone, cursor).status_code == 200


def test_a_cursor_of_another_server_or_another_device_is_refused(client, area, db_url):
    phone, device_id = _device_id(client, "somchai")
    other_server = Settings(database_url=db_url, secret_key="another-servers-secret-" + "k9Xq2Lm7Pz" * 3)
    foreign = Cursor(seq=1, area=None).encode(cursor_key(other_server, device_id))
    _assert_refused(_pull(client, phone, foreign))
    second_phone = sign_in(client, "somchai", device_name="second")
    _, cursor = pull_all(client, second_phone)
    _assert_refused(_pull(client, phone, cursor))


def test_out_of_area_never_names_records_of_areas_the_device_was_not_sent(client, app, area):
    # Even a cursor sealed with the right key (say the key leaked) cannot widen what leaves the phone.
    phone, device_id = _device_id(client, "somchai")
    first, _ = pull_all(client, phone)
    assert not [c for c in first if c.get("reason") == "out_of_area"]
    key = cursor_key(app.state.settings, device_id)
    for held in ([EVERYWHERE], ["0000000000000000"]):
        crafted = Cursor(seq=0, area="0000000000000000", held=held).encode(key)
        changes, _ = pull_all(client, phone, crafted)
        leaving = [c for c in changes if c.get("reason") == "out_of_area"]
        assert leaving == [], leaving
        assert area.other_household.id not in {c["id"] for c in changes}


def test_departures_from_before_the_device_was_first_answered_are_not_named(client, app, area):
    # A household moved out before this phone ever pulled: the phone never had it.
    boss = sign_in(client, "boss")
    from tests.sync.helpers import op, push_ok

    home = area.households[0]
    push_ok(client, boss, [op("household", home.id, {"village_id": area.other_village.id}, base_seq=home.seq)])
    phone, device_id = _device_id(client, "somchai")
    pull_all(client, phone)
    key = cursor_key(app.state.settings, device_id)
    from sync.pull import fingerprint
    from server.auth.areas import area_village_ids
    from server.models import User
    from sqlmodel import select

    with Session(client.app.state.engine) as db:
        mine = area_village_ids(db, db.exec(select(User).where(User.username == "somchai")).one())
    crafted = Cursor(seq=0, area=fingerprint(sorted(mine)), tables={}).encode(key)
    changes, _ = pull_all(client, phone, crafted)
    assert home.id not in {c["id"] for c in changes if c.get("reason") == "out_of_area"}


def test_a_cursor_ahead_of_the_server_asks_for_a_resync(client, area, engine):
    phone = sign_in(client, "somchai")
    _, cursor = pull_all(client, phone)
    with Session(engine) as db:  # the database comes back from an older backup
        db.execute(text("UPDATE sync_counter SET value = 1 WHERE id = 1"))
        db.commit()
    response = _pull(client, phone, cursor)
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "resync" and response.json()["message"]
    again = client.get("/api/sync/pull", headers=phone)
    assert again.status_code == 200
