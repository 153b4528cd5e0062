"""A user revokes their own lost phone; an admin revokes anyone's; nobody else's is reachable."""
from sqlmodel import Session, select

from server.auth.passwords import hash_token
from server.models import AuditEntry, Device, District
from tests.foundation.helpers import post_form, sign_in
from tests.support.factories import make_geography, make_user


def _phones(engine):
    with Session(engine) as db:
        make_geography(db)
        north = make_user(db, username="north", role="officer", subdistrict_codes=["341401"])
        south = make_user(db, username="south", role="officer", subdistrict_codes=["341402"])
        make_user(db, username="root", role="admin")
        phones = {}
        for owner in (north, south):
            device = Device(user_id=owner.id, name=f"โทรศัพท์ของ {owner.username}",
                            token_hash=hash_token(f"token-{owner.username}"))
            db.add(device)
            db.flush()
            phones[owner.username] = device.id
        db.commit()
    return phones


def test_an_officer_sees_and_revokes_only_their_own_phone(client, engine):
    phones = _phones(engine)
    sign_in(client, "north")
    page = client.get("/devices").text
    assert "โทรศัพท์ของ north" in page and "โทรศัพท์ของ south" not in page
    assert post_form(client, f"/devices/{phones['south']}/revoke", {}).status_code == 404
    post_form(client, f"/devices/{phones['north']}/revoke", {})
    with Session(engine) as db:
        assert db.get(Device, phones["north"]).revoked_at is not None
        assert db.get(Device, phones["south"]).revoked_at is None
        assert db.exec(select(AuditEntry).where(AuditEntry.action == "revoke_device")).one()


def test_an_admin_revokes_a_lost_phone_of_anyone(client, engine):
    phones = _phones(engine)
    sign_in(client, "root")
    assert "โทรศัพท์ของ south" in client.get("/devices").text
    post_form(client, f"/devices/{phones['south']}/revoke", {})
    with Session(engine) as db:
        assert db.get(Device, phones["south"]).revoked_at is not None


def test_a_supervisor_sees_and_revokes_the_phones_of_their_districts_users_only(client, engine):
    phones = _phones(engine)
    with Session(engine) as db:
        make_user(db, username="boss", role="supervisor", district_code="3414")
        db.add(District(code="3415", province_code="34", name_th="อำเภอสมมุติ", name_en="Sample district"))
        db.flush()
        elsewhere = make_user(db, username="faraway", role="officer", district_code="3415")
        device = Device(user_id=elsewhere.id, name="โทรศัพท์ของ faraway", token_hash=hash_token("token-faraway"))
        db.add(device)
        db.commit()
        phones["faraway"] = device.id
    sign_in(client, "boss")
    page = client.get("/devices").text
    assert "โทรศัพท์ของ north" in page and "โทรศัพท์ของ south" in page
    assert "โทรศัพท์ของ faraway" not in page
    assert post_form(client, f"/devices/{phones['faraway']}/revoke", {}).status_code == 404
    post_form(client, f"/devices/{phones['south']}/revoke", {})
    with Session(engine) as db:
        assert db.get(Device, phones["south"]).revoked_at is not None
        assert db.get(Device, phones["faraway"]).revoked_at is None
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "revoke_device")).one()
        assert entry.record_id == phones["south"]
