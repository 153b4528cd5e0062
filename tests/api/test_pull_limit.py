"""A pull page never holds more than `limit` changes, reference items included, and a pull loop
with any page size gets every record and every reference item exactly once, in seq order."""
import pytest
from sqlmodel import Session

from server.models import Occupation
from tests.sync.helpers import make_area, pull_all, sign_in


@pytest.fixture
def phone(client, engine):
    with Session(engine, expire_on_commit=False) as s:
        make_area(s, households=4)
    return sign_in(client, "somchai")


def _pages(client, phone, limit, cursor=None):
    pages = []
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/sync/pull", params=params, headers=phone).json()
        pages.append(body["changes"])
        cursor = body["cursor"]
        if not body["has_more"]:
            return pages, cursor
        assert len(pages) < 500, "the pull loop does not converge"


@pytest.mark.parametrize("limit", [1, 2, 5, 17])
def test_pages_never_exceed_the_limit_and_lose_nothing(client, engine, phone, limit):
    whole, _ = pull_all(client, phone, limit=1000)
    occupations = [c for c in whole if c["entity"] == "occupation"]
    assert len(occupations) > limit or limit == 17
    pages, cursor = _pages(client, phone, limit)
    assert all(len(page) <= limit for page in pages)
    assert all(pages[:-1]) and len(pages[0]) == limit  # only the last page may be short
    got = [c for page in pages for c in page]
    assert sorted((c["entity"], c["id"]) for c in got) == sorted((c["entity"], c["id"]) for c in whole)
    seqs = [c["seq"] for c in got]
    assert seqs == sorted(seqs)
    assert pull_all(client, phone, cursor)[0] == []


def test_reference_items_carry_the_cursor_position_and_a_changed_table_is_sent_again(client, engine, phone):
    whole, cursor = pull_all(client, phone, limit=1000)
    assert {c["seq"] for c in whole if c["entity"] == "occupation"} == {0}
    with Session(engine) as s:
        s.add(Occupation(code="mushrooms_test", kind="trade", name_th="เพาะเห็ด", name_en="Mushrooms"))
        s.commit()
    pages, _ = _pages(client, phone, 3, cursor)
    later = [c for page in pages for c in page]
    records = [c for c in whole if c["entity"] != "occupation"]
    assert all(len(page) <= 3 for page in pages)
    assert {c["seq"] for c in later} == {records[-1]["seq"]}  # sent at the cursor's position
    assert {c["id"] for c in later} == {c["id"] for c in whole if c["entity"] == "occupation"} | {"mushrooms_test"}
