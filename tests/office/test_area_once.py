"""The user's area is computed once per request, however many parts of the page ask for it."""
from __future__ import annotations

from sqlalchemy import event
from sqlmodel import Session, select

from server.models import User, UserArea


def _area_queries(engine, send) -> int:  # noqa: ANN001
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if "FROM user_area" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = send()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen)


def test_a_household_page_reads_the_officers_area_once(north, world, engine):
    household_id = world.households["h1"]
    north.get("/households")

    assert _area_queries(engine, lambda: north.get("/households")) == 1
    assert _area_queries(engine, lambda: north.get(f"/households/{household_id}/edit")) == 1
    assert _area_queries(engine, lambda: north.get("/households", params={"q": "ทดสอบ"},
                                                   headers={"HX-Request": "true"})) == 1


def test_each_request_reads_the_area_afresh(north, world, engine):
    assert "นางทดสอบ h1" in north.get("/households").text
    with Session(engine) as db:
        officer = db.exec(select(User).where(User.username == "north")).one()
        for area in db.exec(select(UserArea).where(UserArea.user_id == officer.id)):
            db.delete(area)
        db.commit()

    assert "นางทดสอบ h1" not in north.get("/households").text
