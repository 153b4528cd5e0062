"""Dates are checked against their year and against today: a training's days lie in its fiscal year (a day
that slips past the year's end is allowed with a warning), a 5 ก assessment and a survey are never dated
after today."""
import datetime as dt

from sqlmodel import Session, select

from server.core.dates import fiscal_year_span, thai_today, to_input
from server.models import Survey, Training, TrainingSession
from tests.foundation.helpers import post_form
from tests.office.test_groups import _group, _trained
from tests.support.factories import DEFAULT_PASSWORD
from tests.sync.helpers import op, push_ok, sign_in

FY = 2570  # 1 Oct 2026 (1/10/2569) – 30 Sep 2027 (30/09/2570)


def plan(client, world, start_date):
    return post_form(client, "/trainings", {"village_id": world.villages["34140101"], "fiscal_year": FY,
                                            "occupation": "orchard", "title": "", "start_date": start_date},
                     follow_redirects=False)


def test_a_first_day_before_the_fiscal_year_is_refused(north, world, engine):
    refused = plan(north, world, "01/02/2569")
    assert refused.status_code == 422 and "อยู่ก่อนปีงบประมาณ 2570 ซึ่งเริ่ม 1 ต.ค. 2569" in refused.text
    with Session(engine) as db:
        assert db.exec(select(Training)).first() is None
    assert plan(north, world, "01/10/2569").status_code in (302, 303)  # the year's first day


def test_a_day_past_the_years_end_is_saved_with_a_warning_and_a_year_later_is_refused(north, world, engine):
    plan(north, world, "01/09/2570")
    with Session(engine) as db:
        training = db.exec(select(Training)).one()
        day5 = db.exec(select(TrainingSession).where(TrainingSession.training_id == training.id,
                                                     TrainingSession.day == 5)).one()
    assert fiscal_year_span(FY)[1] == dt.date(2027, 9, 30)
    moved = post_form(north, f"/trainings/{training.id}/sessions/{day5.id}",
                      {"date": "05/10/2570", "kind": "home_practice", "seq": day5.seq}, follow_redirects=False)
    assert moved.status_code in (302, 303)
    page = north.get(f"/trainings/{training.id}").text
    assert 'id="after-year"' in page and "วันที่ 5 อยู่หลังสิ้นปีงบประมาณ 2570" in page
    with Session(engine) as db:
        day5 = db.get(TrainingSession, day5.id)
        assert day5.date == dt.date(2027, 10, 5)
    typo = post_form(north, f"/trainings/{training.id}/sessions/{day5.id}",
                     {"date": "05/10/2580", "kind": "home_practice", "seq": day5.seq})
    assert typo.status_code == 422 and "เกินหนึ่งปี" in typo.text


def test_a_five_k_assessment_dated_after_today_is_refused(north, world, engine):
    chosen = _trained(north, world, engine)
    group_url = _group(north, world, chosen).headers["location"]
    tomorrow = to_input(thai_today() + dt.timedelta(days=1))
    future = post_form(north, f"{group_url}/assessments", {"assessed_on": tomorrow, "scores": ["members"]})
    assert future.status_code == 422 and "วันที่นี้ยังมาไม่ถึง" in future.text
    far = post_form(north, f"{group_url}/assessments", {"assessed_on": "01/01/2580", "scores": ["members"]})
    assert far.status_code == 422
    today = post_form(north, f"{group_url}/assessments", {"assessed_on": to_input(thai_today()),
                                                          "scores": ["members"]}, follow_redirects=False)
    assert today.status_code in (302, 303)


def test_a_survey_pushed_with_a_date_after_today_is_rejected_for_that_field(client, world, engine):
    headers = sign_in(client, "north", password=DEFAULT_PASSWORD)
    household = world.households["h1"]
    later = (thai_today() + dt.timedelta(days=3)).isoformat()
    [result] = push_ok(client, headers, [op("survey", fields={"household_id": household, "kind": "baseline",
                                                              "surveyed_on": later, "annual_income": 30000})])
    assert result["status"] == "rejected" and "surveyed_on" in str(result)
    [fine] = push_ok(client, headers, [op("survey", fields={"household_id": household, "kind": "baseline",
                                                            "surveyed_on": thai_today().isoformat(),
                                                            "annual_income": 30000})])
    assert fine["status"] == "applied", fine
    with Session(engine) as db:
        assert db.exec(select(Survey)).one().surveyed_on == thai_today()
