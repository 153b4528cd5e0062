"""The progress, outcome and records pages through the app, for the program in conftest.py."""
from __future__ import annotations

import re

import pytest

from tests.support.factories import freeze_thai_today

from tests.foundation.helpers import sign_in


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    from tests.reports.conftest import TODAY

    freeze_thai_today(monkeypatch, TODAY)


def household_names(html: str) -> set[str]:
    return set(re.findall(r"นา[งย]ทดสอบ ([A-Z])|นางข้างเคียง (N)", html)) and {
        a or b for a, b in re.findall(r"นา[งย]ทดสอบ ([A-Z])|นางข้างเคียง (N)", html)}


def test_progress_of_a_district_by_subdistrict(client, program):
    sign_in(client, "boss")
    page = client.get("/progress?year=2570")
    assert page.status_code == 200
    html = page.text
    assert 'data-unit="341401"' in html and 'data-unit="341402"' in html
    assert "34150" not in html  # the neighbouring district is not there
    north = html[html.index('data-unit="341401"'):html.index('data-unit="341402"')]
    assert "what=selected&amp;year=2570&amp;area=341401" in north
    assert ">5</a>/20" in north  # 5 households selected of a target of 20
    assert "80.0%" in north  # day 1 attendance


def test_a_figure_opens_the_households_behind_it(client, program):
    sign_in(client, "boss")
    selected = client.get("/progress/records?what=selected&year=2570&area=341401")
    assert selected.status_code == 200
    assert household_names(selected.text) == {"A", "B", "C", "D", "E"}
    assert "x-xxxx-xxxxx-" in selected.text and "1000000000017" not in selected.text
    practising = client.get("/progress/records?what=practising&year=2570&area=3414")
    assert household_names(practising.text) == {"A", "B", "C", "G"}
    awaiting = client.get("/progress/records?what=awaiting&year=2570&area=3414")
    assert household_names(awaiting.text) == {"D"}
    missing = client.get("/progress/records?what=missing:follow_up_3m&year=2570&area=3414")
    assert household_names(missing.text) == {"C", "D", "G", "H"}
    income = client.get("/progress/records?what=income:after_training&year=2570&area=3414")
    assert household_names(income.text) == {"A", "C", "G"}
    assert "110,000" in income.text
    villages = client.get("/progress/records?what=with_group&year=2570&area=34")
    assert "34140101" in villages.text and "34150101" not in villages.text


def test_outcomes_show_the_indicators_with_their_base(client, program):
    sign_in(client, "boss")
    page = client.get("/outcomes?year=2570&by=subdistrict")
    assert page.status_code == 200
    tile = page.text[page.text.index('data-indicator="practising"'):]
    assert "80.0%" in tile[:400]
    assert "+16.4%" in page.text  # after-training change of the average income
    assert "<svg" in page.text and 'class="chart-table"' in page.text
    by_trade = client.get("/outcomes?year=2570&by=occupation")
    assert 'data-unit="orchard"' in by_trade.text and 'data-unit="livestock"' in by_trade.text


@pytest.mark.parametrize("url", [
    "/progress?year=25x0", "/progress?area=3415", "/progress?area=99", "/progress?occupation=dragons",
    "/outcomes?by=planet", "/progress/records?what=everything&year=2570", "/outcomes?area=1234567",
])
def test_wrong_filters_get_a_clear_message(client, program, url):
    sign_in(client, "boss")
    page = client.get(url)
    assert page.status_code == 400
    assert 'role="alert"' in page.text and "data-filter-error" in page.text


def test_the_village_page_tells_the_whole_story(client, program):
    sign_in(client, "boss")
    page = client.get("/progress/villages/34140101?year=2570")
    assert page.status_code == 200
    html = page.text
    team = html[html.index('id="team"'):html.index("</section>", html.index('id="team"'))]
    assert "5/5" in team
    assert household_names(html) == {"A", "B", "C", "D", "E", "F"}
    groups = html[html.index('id="groups"'):]
    assert "กลุ่มทดสอบ" in groups and "5/5" in groups  # latest 5 ก assessment: every element
    assert client.get("/progress/villages/34150101?year=2570").status_code == 404
    assert client.get("/progress?area=34140101&year=2570", follow_redirects=False).status_code in (302, 303)


def test_pages_read_in_english(client, program):
    sign_in(client, "root")
    client.get("/lang/en")
    page = client.get("/outcomes?year=2570&area=34&by=district")
    assert page.status_code == 200
    assert "Outcomes against the department's indicators" in page.text
    assert 'data-unit="3415"' in page.text and 'data-unit="3414"' in page.text
