"""The household, sage and team lists: filtered, sorted and paged by the database, audited once per view,
and as many SQL statements for a large area as for a small one."""
from __future__ import annotations

import random
import re
from urllib.parse import quote

from sqlalchemy import event, func
from sqlmodel import Session, select

from server.core.house_numbers import house_number_key, house_sort_key
from server.models import AuditEntry, Enrollment, Household, Occupation, Sage, TeamMember, TrainerTeam, Village
from server.core.dates import current_fiscal_year
from sync.changes import stamp_change
from tests.foundation.helpers import post_form
from tests.office.conftest import add_sage
from tests.support.factories import DEFAULT_PASSWORD, VILLAGE_FIELDS, make_household, valid_citizen_id
from tests.sync.helpers import make_training, op, push_ok

ROW_ID = re.compile(r'href="/households/([0-9a-f-]{36})/edit"')
SAGE_ROW = re.compile(r'<tr id="sage-([0-9a-f-]{36})">')
# Written the ways village offices write them, in no particular order.
HOUSE_NUMBERS = ["16/10", "106/3", "2", "10", "2/9", "2/10", "12/3", "12/10", "๑๒/๔", "3ก", "3", "3/1", "99",
                 "100", "1/1", "007/2", "ม.3", "ม.2", "45-1", "45/1"]


def _ids_on(page_text: str) -> list[str]:
    return ROW_ID.findall(page_text)


def _views(engine, entity: str) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(AuditEntry)
                       .where(AuditEntry.action == "view", AuditEntry.entity == entity,
                              AuditEntry.record_id == None)).one()  # noqa: E711


def test_households_come_in_natural_house_number_order_across_pages(north, world, engine):
    village = world.villages["34140102"]
    numbers = HOUSE_NUMBERS + [f"{n}/{m}" for n in (5, 50, 500) for m in (1, 11, 2, 20)] + \
        [f"{n}" for n in range(62, 122, 3)]
    assert len(set(numbers)) == len(numbers)  # no ties: one right order
    random.Random(7).shuffle(numbers)
    with Session(engine) as db:
        for n, house_no in enumerate(numbers):
            make_household(db, village_id=village, house_no=house_no, head_name=f"นางเรียง {n}", commit=False)
        db.commit()
        rows = db.exec(select(Household, Village.code).join(Village, Village.id == Household.village_id)
                       .where(Village.subdistrict_code == "341401")).all()
    # The order the Python definition gives: village code, then the house number read naturally.
    expected = [h.id for h, code in sorted(rows, key=lambda r: (r[1], house_number_key(r[0].house_no)))]
    assert len(expected) > 50

    first = north.get("/households")
    second = north.get("/households", params={"page": "2"})

    assert _ids_on(first.text) + _ids_on(second.text) == expected
    assert len(_ids_on(first.text)) == 50
    assert f"{len(expected)} ครัวเรือน" in first.text
    assert 'href="/households?page=2"' in first.text


def test_the_search_runs_in_the_database_and_the_pages_keep_it(north, world, engine):
    village = world.villages["34140102"]
    with Session(engine) as db:
        for n in range(55):
            make_household(db, village_id=village, house_no=f"{n + 1}", head_name=f"นางค้นพบ Somsri {n:02d}",
                           citizen_id=valid_citizen_id(900 + n) if n == 7 else None, commit=False)
        make_household(db, village_id=village, house_no="600/1", head_name="นายอื่น", commit=False)
        db.commit()
        tail = valid_citizen_id(907)[-4:]

    first = north.get("/households", params={"q": "somsri", "village": village})
    link = f'href="/households?village={village}&amp;q=somsri&amp;page=2"'
    second = north.get("/households", params={"q": "somsri", "village": village, "page": "2"})

    assert "55 ครัวเรือน" in first.text and link in first.text and "นายอื่น" not in first.text
    assert len(_ids_on(first.text)) == 50 and len(_ids_on(second.text)) == 5
    assert "นางค้นพบ Somsri 54" in second.text
    by_house = north.get("/households", params={"q": "600/"}).text
    assert "1 ครัวเรือน" in by_house and "นายอื่น" in by_house
    by_id = north.get("/households", params={"q": tail}).text
    assert "นางค้นพบ Somsri 07" in by_id and "1 ครัวเรือน" in by_id
    thai = north.get("/households", params={"q": "ค้นพบ"}).text
    assert "55 ครัวเรือน" in thai and f'href="/households?q={quote("ค้นพบ")}&amp;page=2"' in thai
    # A % or _ typed in the search is a character to find, not a wildcard.
    assert "ไม่พบครัวเรือน" in north.get("/households", params={"q": "%"}).text
    assert "ไม่พบครัวเรือน" in north.get("/households", params={"q": "_"}).text
    # Another officer's household matches the words but stays out: the area is part of the query.
    assert world.households["south"] not in _ids_on(north.get("/households", params={"q": "สมมุติ"}).text)


def test_every_way_of_writing_a_household_keeps_its_place_in_the_order(north, world, engine):
    village = world.villages["34140102"]
    response = north.post("/api/auth/token", json={"username": "north", "password": DEFAULT_PASSWORD,
                                                    "device_name": "phone"})
    phone = {"Authorization": f"Bearer {response.json()['token']}"}
    fields = {"village_id": village, "head_name": "นางผ่านโทรศัพท์", "members": 2, "annual_income": 20_000}
    pushed = push_ok(north, phone, [op("household", fields={**fields, "house_no": "20"})])[0]
    push_ok(north, phone, [op("household", pushed["id"], {"house_no": "3"}, base_seq=pushed["seq"])])
    form = {"village_id": village, "house_no": "10", "head_name": "นางผ่านหน้าจอ", "members": "2",
            "annual_income": "20000", "consent": "1"}
    assert post_form(north, "/households", form, follow_redirects=False).status_code in (302, 303)
    with Session(engine) as db:
        edited = make_household(db, village_id=village, house_no="1", head_name="นางแก้ทีหลัง")
        seq = edited.seq
    assert post_form(north, f"/households/{edited.id}", {**form, "house_no": "100", "head_name": "นางแก้ทีหลัง",
                                                         "seq": seq}, follow_redirects=False).status_code in (302, 303)

    page = north.get("/households", params={"village": village}).text

    names = re.findall(r"นางผ่านโทรศัพท์|นางผ่านหน้าจอ|นางแก้ทีหลัง", page)
    assert names == ["นางผ่านโทรศัพท์", "นางผ่านหน้าจอ", "นางแก้ทีหลัง"]  # 3, 10, 100
    with Session(engine) as db:
        for household in db.exec(select(Household)).all():
            assert household.house_sort == house_sort_key(household.house_no), household.house_no


def test_a_trainings_households_are_listed_by_house_number_read_naturally(north, world, engine):
    village = world.villages["34140102"]
    with Session(engine) as db:
        training_id = make_training(db, village_id=village)[0].id
        for house_no in ("10", "2", "1/3", "2/10", "2/9"):
            home = make_household(db, village_id=village, house_no=house_no, head_name=f"นางอบรม {house_no}",
                                  commit=False)
            db.add(Enrollment(training_id=training_id, household_id=home.id, status="selected"))
        db.commit()

    page = north.get(f"/trainings/{training_id}").text

    assert re.findall(r"นางอบรม [0-9/]+", page) == ["นางอบรม 1/3", "นางอบรม 2", "นางอบรม 2/9", "นางอบรม 2/10",
                                                     "นางอบรม 10"]


def test_a_household_search_is_audited_once_per_view_not_per_keystroke(north, world, engine):
    before = _views(engine, "household")
    north.get("/households")
    assert _views(engine, "household") == before + 1

    for typed in ("น", "นา", "นาง", "นางท"):
        fragment = north.get("/households", params={"q": typed}, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.text
    assert _views(engine, "household") == before + 1

    north.get("/households", params={"q": "นางท"})  # the search opened as a page (a reload, a link)
    assert _views(engine, "household") == before + 2


def test_a_list_view_and_its_audit_entry_take_two_transactions_of_one_connection(north, world, engine):
    """The sign-in check's read goes on into the page's reads; the view's entry is written after them by
    the same connection (on SQLite another connection's write would empty this one's page cache)."""
    north.get("/households")
    connections, transactions = [], []

    def checked_out(dbapi_connection, _record, _proxy) -> None:
        connections.append(id(dbapi_connection))

    def begun(_connection) -> None:
        transactions.append(1)

    before = _views(engine, "household")
    event.listen(engine.pool, "checkout", checked_out)
    event.listen(engine, "begin", begun)
    try:
        assert north.get("/households").status_code == 200
    finally:
        event.remove(engine.pool, "checkout", checked_out)
        event.remove(engine, "begin", begun)
    assert _views(engine, "household") == before + 1
    assert len(transactions) == 2 and len(connections) == 2  # the page's read, then the entry's write
    if engine.dialect.name == "sqlite":
        assert len(set(connections)) == 1


def test_the_sage_registry_pages_by_fifty_by_name_and_keeps_the_filters(north, world, engine):
    village = world.villages["34140102"]
    with Session(engine) as db:
        for n in random.Random(3).sample(range(1, 61), 60):
            add_sage(db, village_id=village, name=f"ปราชญ์หน้า {n:02d}")
        db.commit()
    params = {"q": "หน้า", "village": village, "subdistrict": "341401"}

    first = north.get("/sages", params=params)
    second = north.get("/sages", params={**params, "page": "2"})

    assert "ปราชญ์ 60 คน" in first.text
    assert re.findall(r"ปราชญ์หน้า \d\d", first.text) == [f"ปราชญ์หน้า {n:02d}" for n in range(1, 51)]
    assert re.findall(r"ปราชญ์หน้า \d\d", second.text) == [f"ปราชญ์หน้า {n:02d}" for n in range(51, 61)]
    keep = f'href="/sages?q={quote("หน้า")}&amp;village={village}&amp;subdistrict=341401&amp;page='
    assert keep + '2"' in first.text and 'rel="prev"' not in first.text
    assert keep + '1"' in second.text and 'rel="next"' not in second.text
    assert len(SAGE_ROW.findall(north.get("/sages").text)) == 50  # 69 in the area, 50 a page


def test_sages_are_found_by_the_name_of_a_trade_phone_or_free_text_skill(north, world, engine):
    with Session(engine) as db:
        orchard = db.exec(select(Occupation).where(Occupation.code == "orchard")).one().name_th
        add_sage(db, village_id=world.villages["34140102"], name="ปราชญ์ทอผ้า", skills=["ทอผ้าไหม 100%"])
        db.commit()

    by_trade = north.get("/sages", params={"skill": orchard}).text
    by_free_text = north.get("/sages", params={"q": "ผ้าไหม"}).text
    by_percent = north.get("/sages", params={"skill": "100%"}).text
    by_phone = north.get("/sages", params={"q": "0812345"}).text

    assert len(SAGE_ROW.findall(by_trade)) == 9  # the world's sages of the area all teach orchards
    assert SAGE_ROW.findall(by_free_text) == [_sage_id(engine, "ปราชญ์ทอผ้า")]
    assert SAGE_ROW.findall(by_percent) == [_sage_id(engine, "ปราชญ์ทอผ้า")]
    assert len(SAGE_ROW.findall(by_phone)) == 10
    assert SAGE_ROW.findall(north.get("/sages", params={"skill": "%"}).text) == [_sage_id(engine, "ปราชญ์ทอผ้า")]


def _sage_id(engine, name: str) -> str:
    with Session(engine) as db:
        return db.exec(select(Sage.id).where(Sage.name == name)).one()


def test_a_sage_search_is_audited_once_per_view_not_per_keystroke(north, world, engine):
    before = _views(engine, "sage")
    north.get("/sages")
    for typed in ("ป", "ปร", "ปรา"):
        north.get("/sages", params={"q": typed}, headers={"HX-Request": "true"})
    assert _views(engine, "sage") == before + 1


# --- statements per page -----------------------------------------------------------------------

def _statements(engine, client, url: str) -> int:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen)


def _grow_the_area(engine, world) -> None:
    """Eight more villages in north's subdistrict, each with 60 households, 6 sages and a full team."""
    fiscal_year = current_fiscal_year()
    with Session(engine) as db:
        for number in range(3, 11):
            village = Village(code=f"341401{number:02d}", subdistrict_code="341401", number=number,
                              name=f"บ้านเพิ่ม {number}", participating=True)
            db.add(village)
            db.flush()
            stamp_change(db, village, entity="village", fields=VILLAGE_FIELDS, village_id=village.id, user_id=None)
            for n in range(60):
                make_household(db, village_id=village.id, house_no=f"{60 - n}/{number}", commit=False)
            sages = [add_sage(db, village_id=village.id, name=f"ปราชญ์เพิ่ม {number}-{n}") for n in range(6)]
            db.flush()
            team = TrainerTeam(village_id=village.id, fiscal_year=fiscal_year, lead_sage_id=sages[0].id)
            db.add(team)
            db.flush()
            for sage in sages[1:5]:
                db.add(TeamMember(team_id=team.id, sage_id=sage.id))
        db.commit()


def test_a_list_page_runs_as_many_statements_for_a_large_area_as_for_a_small_one(north, world, engine):
    urls = ["/households", "/households?q=1", "/households?page=2", "/sages", f"/sages?skill={quote('ทำสวน')}",
            "/teams"]
    for url in urls:
        north.get(url)  # anything done once per session (e.g. a language or session refresh) is done
    small = {url: _statements(engine, north, url) for url in urls}

    _grow_the_area(engine, world)
    large = {url: _statements(engine, north, url) for url in urls}

    assert large == small
    teams = north.get("/teams").text
    assert teams.count("ปราชญ์เพิ่ม") == 8 and teams.count(">5/5<") == 8
    assert "ปราชญ์เพิ่ม 3-0" in teams and "ปราชญ์เพิ่ม 10-0" in teams
