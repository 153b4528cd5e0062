"""The village list is searched, counted and paged by the database; the home page's lists stay short
and send the rest to it."""
from __future__ import annotations

import re

from sqlmodel import Session, select

from server.models import Village
from server.pages.home import HOME_LIST_LIMIT
from server.pages.villages import VILLAGES_PER_PAGE
from tests.foundation.helpers import sign_in
from tests.support.factories import make_geography, make_user


def _many_villages(engine, count: int) -> None:
    """`count` more participating villages in subdistrict 341402 (เหล่าบก), none with a team."""
    with Session(engine) as db:
        make_geography(db)
        for n in range(10, 10 + count):
            db.add(Village(code=f"341402{n:02d}", subdistrict_code="341402", number=n, name=f"บ้านทดลองที่ {n}",
                           participating=True))
        make_user(db, username="boss", role="supervisor", district_code="3414")
        db.commit()


def _names(html: str) -> list[str]:
    return re.findall(r"<strong><a [^>]*>([^<]+)</a></strong>", html)


def test_the_list_pages_by_geocode_and_searches_in_the_database(client, engine):
    _many_villages(engine, VILLAGES_PER_PAGE)  # 4 + 50 villages: two pages
    sign_in(client, "boss")
    first = client.get("/villages")
    assert first.status_code == 200
    assert len(_names(first.text)) == VILLAGES_PER_PAGE and "54 หมู่บ้าน" in first.text
    assert 'rel="next" href="/villages?page=2"' in first.text
    second = client.get("/villages?page=2")
    assert _names(second.text) == ["บ้านทดลองที่ 56", "บ้านทดลองที่ 57", "บ้านทดลองที่ 58", "บ้านทดลองที่ 59"]
    assert len(_names(client.get("/villages?page=99").text)) == 4  # past the end: the last page

    by_subdistrict = client.get("/villages", params={"q": "Muang"}, headers={"HX-Request": "true"})
    assert sorted(_names(by_subdistrict.text)) == ["บ้านนาทดลอง", "บ้านโคกสมมุติ"]
    by_code = client.get("/villages", params={"q": "3414021"})
    assert len(_names(by_code.text)) == 10  # 34140210 … 34140219
    by_name = client.get("/villages", params={"q": "ที่ 3"})
    assert _names(by_name.text) == [f"บ้านทดลองที่ {n}" for n in range(30, 40)]
    assert "ไม่พบหมู่บ้านในพื้นที่ของท่าน" in client.get("/villages", params={"q": "%_"}).text  # not wildcards


def test_the_home_page_lists_a_few_and_sends_the_rest_to_the_village_list(client, engine):
    _many_villages(engine, 30)
    sign_in(client, "boss")
    page = client.get("/").text
    no_team = page[page.index("ทีมวิทยากรยังไม่ครบ"):].split("</ul>")[0]
    assert no_team.count('href="/teams/') == HOME_LIST_LIMIT
    assert f"และอีก {34 - HOME_LIST_LIMIT} แห่ง: ดูทีมวิทยากรทั้งหมด" in no_team and 'href="/teams"' in no_team
    assert "หมู่บ้านทั้งหมด (34)" in page


def test_trainings_and_teams_are_paged_too(client, engine):
    from server.models import Training
    from server.pages.sages import TEAMS_PER_PAGE
    from server.pages.trainings import TRAININGS_PER_PAGE

    _many_villages(engine, TEAMS_PER_PAGE)
    with Session(engine) as db:
        for village in db.exec(select(Village).order_by(Village.code)).all():
            db.add(Training(village_id=village.id, occupation="orchard", fiscal_year=2570))
        db.commit()
    sign_in(client, "boss")
    trainings = client.get("/trainings?fy=2570")
    assert trainings.status_code == 200 and "54 การฝึกอบรม" in trainings.text
    assert trainings.text.count('href="/trainings/') - trainings.text.count("/select") - 1 == TRAININGS_PER_PAGE
    assert 'href="/trainings?fy=2570&amp;page=2"' in trainings.text
    assert client.get("/trainings?fy=2570&page=2").text.count("/select\"") == 4
    teams = client.get("/teams?fy=2570&page=2")
    assert teams.status_code == 200 and teams.text.count('href="/teams/') == 4
    assert 'rel="prev" href="/teams?fy=2570&amp;page=1"' in teams.text


def test_occupation_groups_are_paged(client, engine):
    from server.models import OccupationGroup
    from server.pages.groups import GROUPS_PER_PAGE

    _many_villages(engine, GROUPS_PER_PAGE)
    with Session(engine) as db:
        for village in db.exec(select(Village).order_by(Village.code)).all():
            db.add(OccupationGroup(village_id=village.id, name=f"กลุ่ม {village.code}", category="community_enterprise"))
        db.commit()
    sign_in(client, "boss")
    first = client.get("/groups")
    assert first.status_code == 200 and first.text.count('href="/groups/') == GROUPS_PER_PAGE
    second = client.get("/groups?page=2").text
    assert re.findall(r"กลุ่ม (\d{8})", second) == ["34140256", "34140257", "34140258", "34140259"]


def test_an_area_too_large_to_list_is_sent_to_the_progress_pages(client, engine, monkeypatch):
    from server.pages import home

    with Session(engine) as db:
        make_geography(db)
        make_user(db, username="root", role="admin")
    monkeypatch.setattr(home, "HOME_VILLAGES_LIMIT", 3)  # the country, in miniature
    sign_in(client, "root")
    page = client.get("/").text
    assert "พื้นที่ของท่านมี 4 หมู่บ้าน" in page and 'href="/progress"' in page
    assert 'href="/teams/' not in page and "หมู่บ้านทั้งหมด (4)" in page
    monkeypatch.setattr(home, "HOME_VILLAGES_LIMIT", 4)
    assert 'href="/teams/' in client.get("/").text
