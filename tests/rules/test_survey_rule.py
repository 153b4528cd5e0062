"""A survey counts only when it is a survey: the same rule through every way a survey comes in.

Surveys come in from a phone's push and, in the office, through `server.synced.write.save_synced` (demo
seeding, and any office write; the import brings households only and no office page edits a survey).
A survey has a date — not after today, not before the start of the fiscal year preceding the household's
first training (or preceding this one, without a training) — and an income or "not known" said.
Progress and the indicators count only complete surveys; the quality page lists the incomplete ones
already stored (from before the rule, or an old phone).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import true
from sqlmodel import Session, select

from server.models import Enrollment, Survey
from server.synced.write import Refused, save_synced
from server.reports.figures import progress
from server.reports.report_area import Filters
from server.review.quality import incomplete_surveys
from server.program.rules import fiscal_year_be, fiscal_year_span, thai_today
from sync.changes import stamp_change
from tests.foundation.helpers import sign_in as office_sign_in
from tests.sync.helpers import make_training, op, pull_all, push_ok
from tests.sync.helpers import sign_in as phone_sign_in

TODAY = thai_today()
NO_DATE = "จำเป็นต้องกรอก"
NO_INCOME = 'กรอกรายได้ของครัวเรือน หรือเลือก "ไม่ทราบรายได้"'
TOO_EARLY = "วันที่สำรวจต้องไม่ก่อน"
NOT_YET = "วันที่นี้ยังมาไม่ถึง"


@dataclass
class Answer:
    accepted: bool
    text: str


def from_a_phone(client, world, fields: dict) -> Answer:
    (result,) = push_ok(client, phone_sign_in(client, "north"), [op("survey", fields=fields)])
    return Answer(result["status"] == "applied", " ".join(e["message_th"] for e in result.get("errors", [])))


def in_the_office(client, world, fields: dict, engine) -> Answer:
    values = {**fields}
    if isinstance(values.get("surveyed_on"), str):
        values["surveyed_on"] = dt.date.fromisoformat(values["surveyed_on"])
    with Session(engine) as db:
        try:
            save_synced(db, Survey(), entity="survey", values=values, user=None)
        except Refused as refused:
            return Answer(False, " ".join(e.message_th for e in refused.errors))
        db.commit()
    return Answer(True, "")


@pytest.fixture(params=["push", "office"])
def record(request, north, world, engine):
    def saving(**given) -> Answer:
        fields = {"household_id": world.households["h1"], "kind": "baseline"}
        fields.update({k: v for k, v in given.items() if v is not None})
        if request.param == "push":
            return from_a_phone(north, world, fields)
        return in_the_office(north, world, fields, engine)
    return saving


def _stored(engine, world) -> list[Survey]:
    with Session(engine) as db:
        return list(db.exec(select(Survey).where(Survey.household_id == world.households["h1"])))


def _enroll_h1(engine, world, fiscal_year: int) -> None:
    with Session(engine, expire_on_commit=False) as db:
        training, _days = make_training(db, village_id=world.villages["34140101"], fiscal_year=fiscal_year)
        db.add(Enrollment(training_id=training.id, household_id=world.households["h1"], occupation="weaving"))
        db.commit()


def test_a_survey_without_a_date_is_refused(record, engine, world):
    answer = record(annual_income=40_000)

    assert not answer.accepted and NO_DATE in answer.text
    assert _stored(engine, world) == []


def test_a_survey_without_an_income_nor_unknown_said_is_refused(record, engine, world):
    answer = record(surveyed_on=TODAY.isoformat())

    assert not answer.accepted and NO_INCOME in answer.text
    assert _stored(engine, world) == []


def test_a_survey_dated_2544_is_refused_with_the_first_day_it_may_bear(record, engine, world):
    answer = record(surveyed_on="2001-11-24", annual_income=40_000)

    earliest = fiscal_year_span(fiscal_year_be(TODAY) - 1)[0]
    assert not answer.accepted and TOO_EARLY in answer.text
    assert f"1 ต.ค. {earliest.year + 543}" in answer.text
    assert _stored(engine, world) == []


def test_a_survey_dated_tomorrow_is_refused(record, engine, world):
    answer = record(surveyed_on=(TODAY + dt.timedelta(days=1)).isoformat(), annual_income=40_000)

    assert not answer.accepted and NOT_YET in answer.text


def test_the_first_training_sets_the_earliest_day(record, engine, world):
    """A household first trained in fiscal year Y may be surveyed from 1 Oct of the year before Y."""
    year = fiscal_year_be(TODAY) - 2
    _enroll_h1(engine, world, year)
    first = fiscal_year_span(year - 1)[0]

    refused = record(surveyed_on=(first - dt.timedelta(days=1)).isoformat(), annual_income=40_000)
    accepted = record(surveyed_on=first.isoformat(), annual_income=40_000)

    assert not refused.accepted and TOO_EARLY in refused.text
    assert accepted.accepted, accepted.text


def test_an_unknown_income_said_and_the_contracts_optional_answers_are_kept(record, north, engine, world):
    answer = record(surveyed_on=TODAY.isoformat(), income_unknown=True, annual_expenses=30_000, savings=2_000,
                    debt=15_000)

    assert answer.accepted, answer.text
    (stored,) = _stored(engine, world)
    assert (stored.annual_income, stored.income_unknown, stored.annual_expenses, stored.savings, stored.debt) == (
        None, True, 30_000, 2_000, 15_000)
    changes, _cursor = pull_all(north, phone_sign_in(north, "north"))
    (pulled,) = [c["fields"] for c in changes if c["entity"] == "survey"]
    assert {k: pulled[k] for k in ("income_unknown", "annual_expenses", "savings", "debt")} == {
        "income_unknown": True, "annual_expenses": 30_000, "savings": 2_000, "debt": 15_000}


def test_negative_expenses_savings_or_debt_are_refused(record, engine, world):
    answer = record(surveyed_on=TODAY.isoformat(), annual_income=40_000, savings=-1)

    assert not answer.accepted and "ต้องไม่ติดลบ" in answer.text


# --- what counts ---------------------------------------------------------------------------------

def _store_as_before_the_rule(engine, world, **values) -> str:
    """A survey stored before the rule (or by an old phone): written as it was, no rule asked."""
    with Session(engine, expire_on_commit=False) as db:
        survey = Survey(household_id=world.households["h1"], kind="baseline", **values)
        db.add(survey)
        db.flush()
        stamp_change(db, survey, entity="survey", fields=("household_id", "kind", *values),
                     village_id=world.villages["34140101"], user_id=None)
        db.commit()
        return survey.id


def _baselines_done(engine, year: int) -> int:
    with Session(engine) as db:
        rows = progress(db, area=true(), filters=Filters(fiscal_year=year), by="total", today=TODAY,
                        follow_up_months=[3], five_k_codes=[])
    return rows[""].surveys["baseline"].done


@pytest.mark.parametrize("stored", [{"annual_income": 40_000}, {"surveyed_on": TODAY},
                                    {"surveyed_on": TODAY, "income_unknown": False}])
def test_an_incomplete_survey_is_not_counted_and_is_listed_for_quality(engine, world, stored):
    year = fiscal_year_be(TODAY)
    _enroll_h1(engine, world, year)
    incomplete = _store_as_before_the_rule(engine, world, **stored)

    assert _baselines_done(engine, year) == 0
    with Session(engine) as db:
        found = incomplete_surveys(db, None, TODAY)
    assert [(f.record_id, f.facts["survey_problem"]) for f in found] == [
        (incomplete, "no_income" if "surveyed_on" in stored else "no_date")]


def test_a_complete_survey_counts_and_is_not_listed(engine, world):
    year = fiscal_year_be(TODAY)
    _enroll_h1(engine, world, year)
    _store_as_before_the_rule(engine, world, surveyed_on=TODAY, income_unknown=True)

    assert _baselines_done(engine, year) == 1
    with Session(engine) as db:
        assert incomplete_surveys(db, None, TODAY) == []


def test_a_survey_stored_with_a_slipped_year_is_listed_for_quality(engine, world):
    stored = _store_as_before_the_rule(engine, world, surveyed_on=dt.date(2001, 11, 24), annual_income=40_000)

    with Session(engine) as db:
        found = incomplete_surveys(db, None, TODAY)

    assert [(f.record_id, f.facts["survey_problem"]) for f in found] == [(stored, "date_out_of_range")]


def test_the_quality_page_names_an_undated_survey_in_words(client, engine, world):
    _store_as_before_the_rule(engine, world, annual_income=40_000)
    office_sign_in(client, "root")

    page = client.get("/review/quality/incomplete_surveys?district=3414")

    assert page.status_code == 200, page.text
    assert 'data-total="1"' in page.text
    assert "ไม่มีวันที่สำรวจ" in page.text and "no_date" not in page.text
