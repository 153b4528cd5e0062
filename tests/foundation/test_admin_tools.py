"""Admin safety nets: no self-lockout, lifting a sign-in lock, reading the audit log."""
from sqlmodel import Session, select

from server.models import AuditEntry, LoginThrottle, User
from tests.foundation.helpers import post_form, sign_in
from tests.support.factories import make_geography, make_user


def _setup(engine):
    with Session(engine) as db:
        make_geography(db)
        admin = make_user(db, username="root", role="admin")
        make_user(db, username="north", role="officer", subdistrict_codes=["341401"])
        return admin.id


def test_an_admin_cannot_deactivate_their_own_account(client, engine):
    admin_id = _setup(engine)
    sign_in(client, "root")
    response = post_form(client, f"/admin/users/{admin_id}", {"display_name": "Root", "role": "admin"})
    assert response.status_code == 422 and "ไม่สามารถปิดการใช้งานบัญชีของตนเองได้" in response.text
    with Session(engine) as db:
        assert db.get(User, admin_id).active


def test_a_repeated_form_field_is_read_once_not_crashed_on(client, engine):
    _setup(engine)
    response = post_form(client, "/login", {"username": ["north", "root"], "password": ["x", "y"]})
    assert response.status_code == 401


def test_an_admin_lifts_a_sign_in_lock_and_it_is_audited(client, engine, settings):
    _setup(engine)
    for _ in range(settings.max_failed_logins):
        post_form(client, "/login", {"username": "north", "password": "wrong"})
    admin = client.__class__(client.app, base_url="http://testserver.local")
    with admin:
        sign_in(admin, "root")
        page = admin.get("/admin/users").text
        assert "/admin/users/unlock/north" in page
        post_form(admin, "/admin/users/unlock/north", {})
    with Session(engine) as db:
        assert db.exec(select(LoginThrottle).where(LoginThrottle.username == "north")).first() is None
        assert db.exec(select(AuditEntry).where(AuditEntry.action == "unlock_sign_in")).one()
    assert sign_in(client, "north").status_code == 200


def test_the_audit_log_shows_who_signed_in_and_is_for_admins_only(client, engine):
    _setup(engine)
    sign_in(client, "north")
    assert client.get("/admin/audit").status_code == 403
    sign_in(client, "root")
    page = client.get("/admin/audit", params={"username": "north", "action": "sign_in"})
    assert page.status_code == 200 and "sign_in" in page.text and "north" in page.text
    assert "1 รายการ" in page.text
