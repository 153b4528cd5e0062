"""The department's indicators against figures computed by hand from the program in conftest.py."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from server.models import User
from server.reports.figures import months_before, outcomes, progress
from server.reports.report_area import Filters, FilterError, area_condition, home_area, parse_filters
from tests.reports.conftest import FISCAL_YEAR, TODAY

ROUNDS = [3, 6, 12]
FIVE_K = ["members", "committee", "rules", "activities", "fund"]


def user(db: Session, name: str) -> User:
    return db.exec(select(User).where(User.username == name)).one()


def figures_of(engine, username: str, *, by: str, area: str = "", occupation: str | None = None):
    with Session(engine) as db:
        who = user(db, username)
        filters = Filters(fiscal_year=FISCAL_YEAR, area=area, occupation=occupation)
        return outcomes(db, area=area_condition(db, who), filters=filters, by=by, follow_up_months=ROUNDS)


def progress_of(engine, username: str, *, by: str, area: str = ""):
    with Session(engine) as db:
        who = user(db, username)
        filters = Filters(fiscal_year=FISCAL_YEAR, area=area)
        return progress(db, area=area_condition(db, who), filters=filters, by=by, today=TODAY,
                        follow_up_months=ROUNDS, five_k_codes=FIVE_K)


def test_practising_share_counts_trained_households_with_an_answer(engine, program):
    district = figures_of(engine, "boss", by="total")[""]
    # Trained: A B C D G H (E was never present, F withdrew). D awaits its first follow-up.
    assert (district.trained, district.followed_up, district.awaiting_follow_up) == (6, 5, 1)
    # Latest answers: A yes (3m), B yes (3m, after a no), C yes, G yes, H no.
    assert district.practising == 4
    assert district.practising_share == pytest.approx(80.0)


def test_income_change_is_the_change_of_the_average_of_practising_households(engine, program):
    district = figures_of(engine, "boss", by="total")[""]
    after = district.income["after_training"]
    # Practising at after_training with both incomes: A 100k→110k, C 0→12k, G 40k→41k.
    assert (after.households, after.before_total, after.after_total) == (3, 140_000, 163_000)
    assert after.change == pytest.approx(23_000 * 100 / 140_000)
    assert after.before_average == pytest.approx(140_000 / 3)
    # C's zero baseline has no percentage of its own: the median is of A (10%) and G (2.5%).
    assert after.zero_baseline == 1
    assert after.median_change == pytest.approx(6.25)
    three = district.income["follow_up_3m"]
    # A 100k→120k (20%), B 50k→51k (2%).
    assert (three.households, three.change, three.median_change) == (2, pytest.approx(14.0), pytest.approx(11.0))
    assert three.meets_goal is True
    six = district.income["follow_up_6m"]
    assert (six.households, six.change, six.median_change) == (0, None, None)


def test_a_unit_whose_only_household_has_a_zero_baseline_has_no_change(engine, program):
    with Session(engine) as db:
        from server.models import Survey
        a = db.exec(select(Survey).where(Survey.household_id == program.households["A"],
                                         Survey.kind == "baseline")).one()
        g = db.exec(select(Survey).where(Survey.household_id == program.households["G"],
                                         Survey.kind == "baseline")).one()
        a.annual_income = 0
        g.annual_income = 0
        db.commit()
    after = figures_of(engine, "boss", by="total")[""].income["after_training"]
    assert (after.households, after.zero_baseline, after.before_total) == (3, 3, 0)
    assert after.change is None and after.median_change is None and after.meets_goal is None


def test_villages_with_a_group(engine, program):
    district = figures_of(engine, "boss", by="total")[""]
    assert (district.villages, district.villages_with_group, district.group_share) == (2, 1, 50.0)


def test_breakdowns_by_subdistrict_village_and_trade(engine, program):
    subdistricts = figures_of(engine, "boss", by="subdistrict")
    assert set(subdistricts) == {"341401", "341402"}
    north, south = subdistricts["341401"], subdistricts["341402"]
    assert (north.trained, north.followed_up, north.practising) == (4, 3, 3)
    assert (south.trained, south.followed_up, south.practising) == (2, 2, 1)
    assert south.income["after_training"].change == pytest.approx(2.5)
    trades = figures_of(engine, "boss", by="occupation")
    assert {k: v.trained for k, v in trades.items()} == {"orchard": 4, "livestock": 2}
    orchard_only = figures_of(engine, "boss", by="village", occupation="orchard")
    assert list(orchard_only) == ["34140101"]


def test_a_supervisor_sums_only_their_district(engine, program):
    """The district's rows add up to its total, and nothing of district 3415 is in either."""
    for by in ("subdistrict", "village", "occupation"):
        rows = figures_of(engine, "boss", by=by, area="34")
        assert sum(r.trained for r in rows.values()) == 6
        assert sum(r.villages for r in rows.values()) == 2
        assert sum(r.income["after_training"].after_total for r in rows.values()) == 163_000
    assert set(figures_of(engine, "boss", by="district", area="34")) == {"3414"}
    neighbour = figures_of(engine, "neighbour_boss", by="total", area="34")[""]
    assert (neighbour.trained, neighbour.practising, neighbour.income["after_training"].after_total) == (1, 1, 20_000)
    country = figures_of(engine, "root", by="district")
    assert {k: v.trained for k, v in country.items()} == {"3414": 6, "3415": 1}


def test_an_officer_sees_only_their_subdistricts(engine, program):
    rows = figures_of(engine, "north", by="village", area="3414")
    assert list(rows) == ["34140101"]
    assert rows["34140101"].trained == 4


def test_progress_counts_selection_days_and_attendance(engine, program):
    rows = progress_of(engine, "boss", by="subdistrict", area="3414")
    north = rows["341401"]
    assert (north.villages, north.trainings, north.selected, north.withdrawn) == (1, 1, 5, 1)
    assert (north.teams_complete, north.team_size) == (1, 5)
    # Selected A–E expected each day; F (withdrawn) is present on day 1 but not counted.
    assert [(d.held, d.expected, d.present) for d in north.days.values()] == [
        (1, 5, 4), (1, 5, 2), (1, 5, 2), (1, 5, 1), (1, 5, 1)]
    assert north.days[1].rate == pytest.approx(80.0)
    south = rows["341402"]
    assert (south.teams_complete, south.team_size) == (0, 3)
    assert [d.rate for d in south.days.values()] == [100.0] * 5


def test_surveys_due_and_done_per_round(engine, program):
    north = progress_of(engine, "boss", by="subdistrict", area="3414")["341401"]
    counts = {kind: (r.due, r.done) for kind, r in north.surveys.items()}
    # Baseline: every selected household (A–E). Follow-ups: the trained ones (A–D), once the last
    # day (5 Nov 2026) is that many months before 1 Sep 2027; the 12-month round is not due yet.
    assert counts == {"baseline": (5, 5), "after_training": (4, 3), "follow_up_3m": (4, 2),
                      "follow_up_6m": (4, 0), "follow_up_12m": (0, 0)}


def test_groups_and_their_readiness(engine, program):
    rows = progress_of(engine, "root", by="district", area="34")
    assert {k: (r.groups, r.groups_assessed, r.groups_ready) for k, r in rows.items()} == {
        "3414": (1, 1, 1), "3415": (1, 1, 1)}


def test_months_before_keeps_the_day_or_takes_the_month_end():
    import datetime as dt
    assert months_before(dt.date(2027, 9, 1), 3) == dt.date(2027, 6, 1)
    assert months_before(dt.date(2027, 5, 31), 3) == dt.date(2027, 2, 28)
    assert months_before(dt.date(2027, 1, 15), 12) == dt.date(2026, 1, 15)


@pytest.mark.parametrize(("params", "field"), [
    ({"year": "70"}, "year"), ({"year": "abcd"}, "year"), ({"year": "9999"}, "year"),
    ({"area": "341"}, "area"), ({"area": "12"}, "area"), ({"area": "3415"}, "area"),
    ({"area": "x"}, "area"), ({"occupation": "unicorns"}, "occupation"),
])
def test_wrong_filters_name_the_filter(engine, program, params, field):
    with Session(engine) as db:
        with pytest.raises(FilterError) as caught:
            parse_filters(db, user(db, "boss"), params, today=TODAY)
    assert caught.value.field == field and caught.value.message


def test_filters_default_to_the_home_area_and_the_current_fiscal_year(engine, program):
    with Session(engine) as db:
        assert parse_filters(db, user(db, "boss"), {}, today=TODAY) == Filters(fiscal_year=2570, area="3414")
        assert home_area(db, user(db, "north")) == "341401"
        assert home_area(db, user(db, "root")) == ""
        assert parse_filters(db, user(db, "root"), {"year": "๒๕๗๐", "area": "3415", "occupation": "orchard"},
                             today=TODAY) == Filters(fiscal_year=2570, area="3415", occupation="orchard")
