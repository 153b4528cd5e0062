"""The program's own measure of right livelihood (earning more than one spends, savings rising) against
figures computed by hand, on the program of conftest.py with these expenses and savings added:

    household  survey           income   expenses  savings
    A          baseline         100,000            5,000
               after_training   110,000   100,000   6,000
               follow_up_3m     120,000   125,000   4,000   latest: spends more, saves less
    B          after_training    50,000    40,000           latest giving both: earns more
               follow_up_3m      51,000             2,000   no baseline savings: not in savings
    C          baseline               0                 0
               after_training    12,000    12,000   1,000   equal: not more; savings rose
    D          baseline          80,000    10,000   3,000   no follow-up: in neither number
    E          after_training    90,000    10,000  10,000   never trained
    F          after_training    99,000     1,000           withdrawn
    G          baseline          40,000             1,000
               after_training    41,000    30,000   1,500   earns more; savings rose
    H          baseline          60,000             2,000
               after_training    60,000    50,000   3,000   no survey date: incomplete, not counted
    N (3415)   baseline          10,000               100
               after_training    20,000    15,000     200   earns more; savings rose

District 3414: earning more B, G of A, B, C, G (2/4); savings rising C, G of A, C, G (2/3).
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import Session, select

from server.models import Survey, User
from server.reports import snapshots
from server.reports.figures import outcome_tables
from server.reports.report_area import Filters, area_condition
from tests.foundation.helpers import sign_in
from tests.reports.conftest import FISCAL_YEAR, TODAY
from tests.support.factories import freeze_thai_today

ROUNDS = [3, 6, 12]
AMOUNTS = {  # (letter, kind): (expenses, savings)
    ("A", "baseline"): (None, 5_000), ("A", "after_training"): (100_000, 6_000),
    ("A", "follow_up_3m"): (125_000, 4_000),
    ("B", "after_training"): (40_000, None), ("B", "follow_up_3m"): (None, 2_000),
    ("C", "baseline"): (None, 0), ("C", "after_training"): (12_000, 1_000),
    ("D", "baseline"): (10_000, 3_000),
    ("E", "baseline"): (None, 0), ("E", "after_training"): (10_000, 10_000),
    ("F", "after_training"): (1_000, None),
    ("G", "baseline"): (None, 1_000), ("G", "after_training"): (30_000, 1_500),
    ("H", "baseline"): (None, 2_000), ("H", "after_training"): (50_000, 3_000),
    ("N", "baseline"): (None, 100), ("N", "after_training"): (15_000, 200),
}


@pytest.fixture
def measured(engine, program):
    with Session(engine) as db:
        for (letter, kind), (expenses, savings) in AMOUNTS.items():
            survey = db.exec(select(Survey).where(Survey.household_id == program.households[letter],
                                                  Survey.kind == kind)).one()
            survey.annual_expenses, survey.savings = expenses, savings
            if letter == "H" and kind == "after_training":
                survey.surveyed_on = None
        db.commit()
    return program


def tables(engine, username: str, *breakdowns: str, area: str = ""):
    with Session(engine) as db:
        who = db.exec(select(User).where(User.username == username)).one()
        return outcome_tables(db, area=area_condition(db, who), filters=Filters(fiscal_year=FISCAL_YEAR, area=area),
                              breakdowns=list(breakdowns), follow_up_months=ROUNDS)


def measure(r) -> tuple[int, int, int, int]:  # noqa: ANN001
    return r.earning_more, r.spending_known, r.savings_rising, r.savings_known


def test_the_measure_by_district_subdistrict_village_and_trade(engine, measured):
    district = tables(engine, "boss", "total", "subdistrict", "village", "occupation")
    total = district["total"][""]
    assert measure(total) == (2, 4, 2, 3)
    assert total.earning_more_share == pytest.approx(50.0)
    assert total.savings_rising_share == pytest.approx(200 / 3)
    assert {k: measure(r) for k, r in district["subdistrict"].items()} == {"341401": (1, 3, 1, 2),
                                                                           "341402": (1, 1, 1, 1)}
    assert {k: measure(r) for k, r in district["village"].items()} == {"34140101": (1, 3, 1, 2),
                                                                       "34140201": (1, 1, 1, 1)}
    assert {k: measure(r) for k, r in district["occupation"].items()} == {"orchard": (1, 3, 1, 2),
                                                                          "livestock": (1, 1, 1, 1)}
    country = tables(engine, "root", "district")["district"]
    assert {k: measure(r) for k, r in country.items()} == {"3414": (2, 4, 2, 3), "3415": (1, 1, 1, 1)}


def test_no_answers_no_share(engine, program):
    total = tables(engine, "boss", "total")["total"][""]
    assert measure(total) == (0, 0, 0, 0)
    assert total.earning_more_share is None and total.savings_rising_share is None


def names(html: str) -> set[str]:
    return {a or b for a, b in re.findall(r"นา[งย]ทดสอบ ([A-Z])|นางข้างเคียง (N)", html)}


def test_the_page_shows_the_measure_and_the_households_behind_it(client, measured, monkeypatch):
    freeze_thai_today(monkeypatch, TODAY)
    sign_in(client, "boss")
    page = client.get("/outcomes?year=2570&by=subdistrict")
    assert page.status_code == 200
    tile = page.text[page.text.index('data-indicator="earning-more"'):page.text.index('data-indicator="groups"')]
    assert "50.0%" in tile and "66.7%" in tile
    assert "มีรายได้มากกว่ารายจ่าย" in tile and "เงินออมมากกว่าก่อนอบรม" in tile  # in the reader's words
    assert "what=earning_more&amp;year=2570&amp;area=3414" in tile
    north = page.text[page.text.index('data-unit="341401"'):page.text.index('data-unit="341402"')]
    cells = re.findall(r'data-figure="([a-z-]+)">([^<]*)<span class="muted">\(<a[^>]*>(\d+)</a>/<a[^>]*>(\d+)</a>',
                       north)
    assert cells == [("earning-more", "33.3% ", "1", "3"), ("savings-rising", "50.0% ", "1", "2")]
    by_trade = client.get("/outcomes?year=2570&by=occupation").text
    assert "what=savings_rising&amp;year=2570&amp;area=3414&amp;occupation=livestock" in by_trade

    def listed(what: str, area: str = "3414") -> str:
        response = client.get(f"/progress/records?what={what}&year=2570&area={area}")
        assert response.status_code == 200
        return response.text

    assert names(listed("earning_more")) == {"B", "G"}
    spending = listed("spending_known")
    assert names(spending) == {"A", "B", "C", "G"}
    a_row = spending[spending.index(f'data-household-id="{measured.households["A"]}"'):]
    assert re.search(r"120,000</td><td[^>]*>125,000", a_row[:1500])  # the latest follow-up giving both
    assert names(listed("savings_rising")) == {"C", "G"}
    assert names(listed("savings_known")) == {"A", "C", "G"}
    assert names(listed("earning_more", "341402")) == {"G"}


def test_the_measure_survives_a_snapshot(engine, measured):
    policy = snapshots.Policy(trainings=0, max_age=dt.timedelta(minutes=10))
    options = {"filters": Filters(fiscal_year=FISCAL_YEAR, area=""), "breakdowns": ["district", "total"],
               "follow_up_months": ROUNDS}
    with Session(engine) as db:
        who = db.exec(select(User).where(User.username == "root")).one()
        computed = snapshots.outcome_tables(db, policy, area=area_condition(db, who), **options)
    with Session(engine) as db:
        who = db.exec(select(User).where(User.username == "root")).one()
        served = snapshots.outcome_tables(db, policy, area=area_condition(db, who), **options)
    assert computed.as_of is None and served.as_of is not None
    assert {k: measure(r) for k, r in served.tables["district"].items()} == {"3414": (2, 4, 2, 3),
                                                                             "3415": (1, 1, 1, 1)}
    assert served.tables["total"][""].earning_more_share == pytest.approx(60.0)  # 3 of 5
