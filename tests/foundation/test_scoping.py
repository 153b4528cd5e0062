"""Every page is scoped to the user's area; admin pages are for admins only."""
import pytest
from sqlmodel import Session, select

from server.auth.areas import area_village_ids
from server.models import User, Village
from tests.foundation.helpers import post_form, sign_in
from tests.support.factories import make_geography, make_user


@pytest.fixture
def area(engine):
    with Session(engine) as db:
        make_geography(db)
        make_user(db, username="north", role="officer", subdistrict_codes=["341401"])
        make_user(db, username="south", role="officer", subdistrict_codes=["341402"])
        make_user(db, username="boss", role="supervisor", district_code="3414")
        make_user(db, username="root", role="admin")
        db.commit()
        villages = {v.code: v.name for v in db.exec(select(Village))}
    return villages


def test_an_officer_sees_only_the_villages_of_their_subdistrict(client, area):
    sign_in(client, "north")
    page = client.get("/villages").text
    for code, name in area.items():
        assert (name in page) == code.startswith("341401"), code


def test_search_fragments_are_scoped_too(client, area):
    sign_in(client, "north")
    south_name = next(n for c, n in area.items() if c.startswith("341402"))
    fragment = client.get("/villages", params={"q": south_name}, headers={"HX-Request": "true"})
    assert south_name not in fragment.text
    assert "<html" not in fragment.text  # a fragment, not a page
    assert "HX-Request" in fragment.headers.get("vary", "")


def test_the_supervisor_sees_the_whole_district(client, area):
    sign_in(client, "boss")
    page = client.get("/villages").text
    assert all(name in page for name in area.values())


def test_scope_function_matches_roles(engine, area):
    with Session(engine) as db:
        users = {u.username: u for u in db.exec(select(User))}
        assert len(area_village_ids(db, users["north"])) == 2
        assert area_village_ids(db, users["north"]).isdisjoint(area_village_ids(db, users["south"]))
        assert len(area_village_ids(db, users["boss"])) == 4
        assert area_village_ids(db, users["root"]) is None


def test_officers_cannot_read_or_change_users(client, area):
    sign_in(client, "north")
    assert client.get("/admin/users").status_code == 403
    response = post_form(client, "/admin/users/new", {"username": "sneaky", "display_name": "x",
                                                      "role": "admin", "password": "long-enough-pw"})
    assert response.status_code == 403
    sign_in(client, "root")
    assert "sneaky" not in client.get("/admin/users").text


def test_going_back_to_a_searched_list_restores_the_whole_page(client, area):
    sign_in(client, "north")
    restored = client.get("/villages", params={"q": "นา"},
                          headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.text
