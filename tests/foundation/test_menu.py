"""The main menu shows each role its destinations and marks the page the user is on, in the reader's
language, although it is rendered once per role, language and current entry (server/web/menu.py)."""
import re

from sqlmodel import Session

from server.web.menu import current_entry
from tests.foundation.helpers import sign_in
from tests.support.factories import make_geography, make_training, make_user


def _menu(page: str) -> tuple[list[str], list[str]]:
    """(the phone menu's links, the hrefs marked current) of a page."""
    menu = re.search(r'<nav class="menu-list".*?</nav>', page, re.S).group(0)
    return re.findall(r'<a href="([^"]+)"', menu), re.findall(r'<a href="([^"]+)" aria-current="page"', page)


def test_each_role_sees_its_own_destinations_and_where_it_is(client, engine):
    with Session(engine) as db:
        village = make_geography(db)["villages"][0]
        training_id = make_training(db, village_id=village.id)["training"].id
        make_user(db, username="off", role="officer", village_ids=[village.id])
        make_user(db, username="sup", role="supervisor", district_code="3414")
        make_user(db, username="adm", role="admin")

    sign_in(client, "off")
    links, current = _menu(client.get("/").text)
    assert "/field" in links and "/signoff" not in links and "/admin/users" not in links
    assert current == ["/", "/"]  # marked in the phone menu and the wide one
    # A record's page belongs to its list's entry.
    assert _menu(client.get(f"/trainings/{training_id}").text)[1] == ["/trainings", "/trainings"]
    client.post("/logout", data={"_csrf_token": client.cookies["csrftoken"]})

    sign_in(client, "sup")
    links, current = _menu(client.get("/villages").text)
    assert "/signoff" in links and "/field" not in links and "/admin/users" not in links
    assert current == ["/villages", "/villages"]
    client.post("/logout", data={"_csrf_token": client.cookies["csrftoken"]})

    sign_in(client, "adm")
    page = client.get("/admin/users").text
    links, current = _menu(page)
    assert {"/admin/users", "/admin/config", "/admin/audit", "/signoff"} <= set(links)
    assert current == ["/admin/users", "/admin/users"] and "ผู้ใช้" in page
    client.get("/lang/en")
    page = client.get("/admin/users").text
    assert _menu(page)[1] == ["/admin/users", "/admin/users"] and ">Users<" in page


def test_the_current_entry_of_a_path():
    assert current_entry("officer", "/") == "/"
    assert current_entry("officer", "/field/villages/x") == "/field"
    assert current_entry("supervisor", "/field") is None  # not on a supervisor's menu
    assert current_entry("supervisor", "/print/progress") == "/reports"
    assert current_entry("admin", "/admin/audit/area") == "/admin/audit"
    assert current_entry("admin", "/villagesque") is None
