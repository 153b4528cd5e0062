"""Access and audit are declared on routes, not remembered in handlers.

Every route of the app carries one access guard (public, device token, signed in, or the roles
named); the table below is read from the app itself, so a route nobody declared fails here. Every
route that shows a household's or a sage's personal data declares it, and opening it writes a view
to the audit log (PDPA): the crawl below opens every page of the app and checks both.
"""
from __future__ import annotations

import re

import pytest
from sqlmodel import Session, func, select

from server.models import AuditEntry
from server.web.audited import audited_view
from server.web.guards import access_of
from tests.foundation.helpers import sign_in
from tests.support.factories import make_training

# Documentation the framework serves (the OpenAPI schema): public by nature, outside our routers.
FRAMEWORK_PUBLIC = re.compile(r"^/schema")
PARAM = re.compile(r"\{(\w+):\w+\}")


def route_table(app) -> list[tuple[str, str, str, object]]:
    """(path, method, access, handler) for every route the app answers."""
    rows = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            guards = access_of(handler)
            access = " + ".join(g.describe() for g in guards) or "UNDECLARED"
            for method in sorted(handler.http_methods or ()):
                rows.append((route.path, method, access, handler))
    return rows


def test_every_route_declares_who_may_open_it(app):
    table = route_table(app)
    assert len(table) > 80
    undeclared = [f"{method} {path}" for path, method, access, _h in table
                  if access == "UNDECLARED" and not FRAMEWORK_PUBLIC.match(path)]
    twice = [f"{method} {path}: {access}" for path, method, access, _h in table if " + " in access]
    assert undeclared == [], "routes nobody declared:\n" + "\n".join(undeclared)
    assert twice == [], "routes with two declarations:\n" + "\n".join(twice)


def test_the_declared_table_reads_as_the_program_needs(app):
    table = {(method, path): access for path, method, access, _h in route_table(app)}
    assert table[("GET", "/login")] == "public"
    assert table[("GET", "/sw.js")] == "public"
    assert table[("GET", "/field")] == "public"  # a shell with no data: the data needs the device token
    assert table[("POST", "/api/sync/push")] == "device token"
    assert table[("GET", "/households")] == "signed in"
    assert table[("GET", "/admin/users")] == "admin"
    assert table[("GET", "/review/conflicts")] == "admin, supervisor"


def test_a_route_that_needs_a_user_is_never_public(app):
    public_with_user = [f"{method} {path}" for path, method, access, handler in route_table(app)
                        if access in ("public", "device token") and "user" in handler.parsed_fn_signature.parameters]
    assert public_with_user == []


def _openable(app, accesses: set[str]) -> list[str]:
    return sorted({path for path, method, access, _h in route_table(app)
                   if method == "GET" and access in accesses and not PARAM.search(path)})


def test_an_officer_is_turned_away_from_every_page_declared_for_other_roles(app, north):
    refused = {path: north.get(path, follow_redirects=False).status_code
               for path in _openable(app, {"admin", "admin, supervisor"})}
    assert refused and set(refused.values()) == {403}, refused


def test_nobody_signed_in_is_sent_to_sign_in_from_every_page_that_needs_it(app, client, world):
    answers = {path: client.get(path, follow_redirects=False) for path in
               _openable(app, {"signed in", "admin", "admin, supervisor"})}
    assert answers and all(a.status_code in (302, 303) and "/login" in a.headers["location"]
                           for a in answers.values()), {p: a.status_code for p, a in answers.items()}


# --- views of personal data ----------------------------------------------------------------------

@pytest.fixture
def admin(client, world):
    sign_in(client, "root")
    return client


def _views(engine) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "view")).one()


def test_every_page_that_shows_personal_data_declares_it_and_audits_each_view(app, admin, world, engine):
    with Session(engine) as db:
        training = make_training(db, village_id=world.villages["34140101"])
        ids = {"household_id": world.households["h1"], "sage_id": world.sages["north1"],
               "training_id": training["training"].id, "session_id": training["sessions"][0].id,
               "code": "34140101", "village_id": world.villages["34140101"]}
        db.commit()
    personal = ("นางทดสอบ h1", "ปราชญ์ทดสอบ1")  # a household head's and a sage's names
    shown, undeclared, unaudited = [], [], []
    for path, method, _access, handler in route_table(app):
        names = PARAM.findall(path)
        if method != "GET" or FRAMEWORK_PUBLIC.match(path) or any(n not in ids for n in names):
            continue
        url = PARAM.sub(lambda m: str(ids[m.group(1)]), path)
        before = _views(engine)
        answer = admin.get(url, follow_redirects=False)
        if answer.status_code != 200 or not any(name in answer.text for name in personal):
            continue
        shown.append(url)
        if audited_view(handler.fn) is None:
            undeclared.append(url)
        elif _views(engine) <= before:
            unaudited.append(url)
    assert len(shown) >= 6, shown
    assert undeclared == [], "pages showing personal data without declaring it:\n" + "\n".join(undeclared)
    assert unaudited == [], "declared pages that wrote no view:\n" + "\n".join(unaudited)


def test_a_search_typed_into_a_list_is_one_view_not_one_per_keystroke(north, engine):
    before = _views(engine)
    north.get("/households?q=%E0%B8%99")  # the page
    for typed in ("นา", "นาง"):
        north.get(f"/households?q={typed}", headers={"HX-Request": "true"})  # keystrokes: fragments
    assert _views(engine) == before + 1
