"""Administrators manage accounts; bad input gets field errors and keeps what was typed."""
from sqlmodel import Session, select

from server.models import User, UserArea
from tests.foundation.helpers import post_form, sign_in
from tests.support.factories import make_geography, make_user


def _admin(engine):
    with Session(engine) as db:
        make_geography(db)
        make_user(db, username="root", role="admin")
        db.commit()


def test_an_admin_creates_an_officer_with_an_area(client, engine):
    _admin(engine)
    sign_in(client, "root")
    response = post_form(client, "/admin/users/new", {
        "username": "Malee", "display_name": "มาลี ทดลอง", "role": "officer",
        "password": "a-long-password", "subdistricts": ["341401", "341402"], "active": "1"},
        follow_redirects=False)
    assert response.status_code in (302, 303)
    with Session(engine) as db:
        user = db.exec(select(User).where(User.username == "malee")).one()
        areas = db.exec(select(UserArea.subdistrict_code).where(UserArea.user_id == user.id)).all()
    assert sorted(areas) == ["341401", "341402"]
    sign_in(client, "malee", "a-long-password")


def test_bad_input_shows_each_field_error_and_keeps_typed_values(client, engine):
    _admin(engine)
    sign_in(client, "root")
    response = post_form(client, "/admin/users/new", {
        "username": "root", "display_name": "ชื่อที่พิมพ์ไว้", "role": "officer", "password": "short"})
    assert response.status_code == 422
    assert "ชื่อผู้ใช้นี้มีผู้ใช้แล้ว" in response.text           # username taken
    assert "อย่างน้อย 10 ตัวอักษร" in response.text               # password too short
    assert "ต้องมีตำบลที่รับผิดชอบ" in response.text              # officer without area
    assert 'value="ชื่อที่พิมพ์ไว้"' in response.text
    with Session(engine) as db:
        assert len(db.exec(select(User)).all()) == 1


def test_an_unknown_subdistrict_is_refused(client, engine):
    _admin(engine)
    sign_in(client, "root")
    response = post_form(client, "/admin/users/new", {
        "username": "x1x", "display_name": "x", "role": "officer", "password": "a-long-password",
        "subdistricts": "999999"})
    assert response.status_code == 422 and "ไม่พบตำบลนี้" in response.text
