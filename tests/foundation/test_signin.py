"""Sign-in, sign-out, the failed-attempt limit, CSRF and unsafe production settings."""
import pytest
from sqlmodel import Session

from server.app import create_app
from server.core.settings import Settings, UnsafeSettings
from server.core.settings import ROOT
from tests.foundation.helpers import csrf_token, post_form, sign_in
from tests.support.factories import make_geography, make_user


@pytest.fixture
def officer(engine):
    with Session(engine) as db:
        geo = make_geography(db)
        make_user(db, username="somchai", role="officer", subdistrict_codes=["341401"])
        db.commit()
    return geo


def test_the_sign_in_page_answers_in_every_app_built_in_one_process(client, app, settings, engine):
    # Two apps share the module-level handlers (as the tests and several workers do).
    create_app(settings, engine)
    assert client.get("/login").status_code == 200
    assert 'name="password"' in client.get("/login").text


def test_a_good_password_opens_a_session_and_sign_out_ends_it(client, officer):
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    response = sign_in(client, "somchai")
    assert response.status_code == 200 and "somchai" in response.text
    stolen = client.cookies["sammachip_session"]
    post_form(client, "/logout", {})
    client.cookies["sammachip_session"] = stolen
    assert client.get("/", follow_redirects=False).status_code in (302, 303)


def test_a_wrong_password_is_answered_in_the_users_language_and_keeps_the_username(client, officer):
    response = post_form(client, "/login", {"username": "somchai", "password": "nope"})
    assert response.status_code == 401
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in response.text
    assert 'value="somchai"' in response.text


def test_repeated_failures_lock_the_name_even_for_the_right_password(client, officer, settings):
    for _ in range(settings.max_failed_logins):
        wrong = post_form(client, "/login", {"username": "somchai", "password": "wrong"})
        assert wrong.status_code == 401  # a wrong password is answered as wrong, never as locked
    response = post_form(client, "/login", {"username": "somchai", "password": "pw-test-1234"})
    assert response.status_code == 429
    assert "sammachip_session" not in client.cookies


def test_unknown_names_are_limited_too(client, officer, settings):
    for _ in range(settings.max_failed_logins):
        post_form(client, "/login", {"username": "ghost", "password": "wrong"})
    assert post_form(client, "/login", {"username": "ghost", "password": "x"}).status_code == 429


def test_a_few_mistakes_do_not_lock_anyone_out(client, officer, settings):
    for _ in range(settings.max_failed_logins - 1):
        post_form(client, "/login", {"username": "somchai", "password": "wrong"})
    assert sign_in(client, "somchai").status_code == 200


def test_a_form_without_the_csrf_token_is_refused(client, officer):
    csrf_token(client)
    response = client.post("/login", data={"username": "somchai", "password": "pw-test-1234"})
    assert response.status_code == 403
    assert "sammachip_session" not in client.cookies


def test_htmx_requests_carry_the_token_in_a_header(client, officer):
    sign_in(client, "somchai")
    without = client.post("/logout", headers={"HX-Request": "true"})
    assert without.status_code == 403
    with_header = client.post("/logout", headers={"HX-Request": "true", "x-csrftoken": csrf_token(client)},
                              follow_redirects=False)
    assert with_header.status_code in (302, 303)


def test_production_refuses_the_default_secret(db_url):
    with pytest.raises(UnsafeSettings):
        create_app(Settings(database_url=db_url))
    with pytest.raises(UnsafeSettings):
        create_app(Settings(database_url=db_url, secret_key="short"))
    create_app(Settings(database_url=db_url, demo=True))  # demo mode may use it


@pytest.mark.parametrize("key", ["a" * 32, "ab" * 20, "2026-12-05" * 4])
def test_a_key_of_few_distinct_characters_is_refused_whatever_its_length(db_url, key):
    with pytest.raises(UnsafeSettings):
        create_app(Settings(database_url=db_url, secret_key=key))
    create_app(Settings(database_url=db_url, secret_key="Zq3v9LmX2rT8pW1nB6cY4hK0sD7fG5jE"))


def test_serve_with_an_unsafe_key_says_so_in_one_line_and_exits_1(db_url):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "x" * 32}
    for name in ("SAMMACHIP_DEMO", "SAMMACHIP_DEV"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "server.cli", "serve", "--port", "1"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    assert len(lines) == 1 and "SECRET_KEY" in lines[0] and "Traceback" not in done.stderr, done.stderr
