"""Each data-quality rule on hand-made cases: what it finds, and what it leaves alone."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from server.models import AuditEntry, Device, Survey
from server.review import quality
from server.review.names import normalize_name
from sync.changes import stamp_change
from tests.support.factories import make_enrollment, make_geography, make_household, make_training, make_user, valid_citizen_id

TODAY = dt.date(2027, 6, 1)


@pytest.fixture
def db(engine):
    with Session(engine, expire_on_commit=False) as session:
        session.geo = make_geography(session)
        session.v1, session.v2 = session.geo["villages"][0].id, session.geo["villages"][1].id
        yield session


def _ids(findings):
    return sorted(f.record_id for f in findings)


def _survey(db, household, kind, income, on):
    survey = Survey(household_id=household.id, kind=kind, annual_income=income, surveyed_on=on)
    db.add(survey)
    db.flush()
    stamp_change(db, survey, entity="survey", fields=("household_id", "kind", "annual_income", "surveyed_on"),
                 village_id=household.village_id, user_id=None)
    db.commit()
    return survey


@pytest.mark.parametrize("a, b", [("นางสาว สมศรี ใจดี", "นาง สมศรี  ใจดี"), ("นายสมชาย มั่นคง", "สมชาย มันคง"),
                                  ("สมใจ ทองคำ", "สมใจทองคํา")])
def test_names_compare_without_titles_tone_marks_or_spaces(a, b):
    assert normalize_name(a) == normalize_name(b)


def test_names_that_differ_in_letters_stay_different():
    assert normalize_name("สมศรี ใจดี") != normalize_name("สมศักดิ์ ใจดี")


def test_duplicates_by_citizen_id_house_number_and_similar_name(db):
    cid = valid_citizen_id(77)
    a = make_household(db, village_id=db.v1, citizen_id=cid, house_no="5", head_name="นายหนึ่ง ทดสอบ")
    b = make_household(db, village_id=db.v2, citizen_id=cid, house_no="9", head_name="นายสอง ทดสอบ")
    c = make_household(db, village_id=db.v1, house_no="12/3", head_name="นางสาม ทดสอบ")
    d = make_household(db, village_id=db.v1, house_no="12 / 3", head_name="นางสี่ ทดสอบ")
    e = make_household(db, village_id=db.v1, house_no="20", head_name="นางสาว มะลิ  หอมดี")
    f = make_household(db, village_id=db.v1, house_no="21", head_name="มะลิ หอมดี่")
    make_household(db, village_id=db.v2, house_no="20", head_name="มะลิ หอมดี")  # another village: no duplicate

    assert _ids(quality.duplicate_citizen_ids(db, None, TODAY)) == sorted([a.id, b.id])
    assert _ids(quality.duplicate_citizen_ids(db, {db.v1}, TODAY)) == []  # its twin is outside the area
    assert _ids(quality.duplicate_house_numbers(db, None, TODAY)) == sorted([c.id, d.id])
    assert _ids(quality.similar_head_names(db, None, TODAY)) == sorted([e.id, f.id])


def test_selection_richer_without_reason_and_beyond_target(db):
    from server.models import AppSetting, Enrollment

    training = make_training(db, village_id=db.v1)["training"]
    poor = make_household(db, village_id=db.v1, annual_income=20_000, members=2)
    rich = make_household(db, village_id=db.v1, annual_income=200_000, members=2)
    chosen = make_enrollment(db, training=training, household=rich)
    assert _ids(quality.richer_selected_without_reason(db, None, TODAY)) == [chosen.id]

    db.get(Enrollment, chosen.id).reason = "ปราชญ์แนะนำ"
    db.commit()
    assert quality.richer_selected_without_reason(db, None, TODAY) == []

    make_enrollment(db, training=training, household=poor)
    assert quality.selected_beyond_target(db, None, TODAY) == []
    db.get(AppSetting, "households_per_village").value = "1"
    db.commit()
    assert _ids(quality.selected_beyond_target(db, None, TODAY)) == [training.id]


def test_training_days_past_without_attendance(db):
    from server.models import Attendance

    days = make_training(db, village_id=db.v1, first_day=dt.date(2027, 5, 29))["sessions"]
    household = make_household(db, village_id=db.v1)
    mark = Attendance(session_id=days[0].id, household_id=household.id, present=True)
    db.add(mark)
    db.flush()
    stamp_change(db, mark, entity="attendance", fields=("session_id", "household_id", "present"),
                 village_id=db.v1, user_id=None)
    db.commit()

    # Day 1 (29 May) was taken; days 2 and 3 are past; days 4 and 5 (1 and 2 June) are not.
    assert _ids(quality.sessions_without_attendance(db, None, TODAY)) == sorted([days[1].id, days[2].id])
    assert quality.sessions_without_attendance(db, {db.v2}, TODAY) == []


def test_missing_baseline_and_overdue_follow_ups(db):
    training = make_training(db, village_id=db.v1, first_day=dt.date(2026, 12, 1))["training"]
    surveyed, unsurveyed = make_household(db, village_id=db.v1), make_household(db, village_id=db.v1)
    make_household(db, village_id=db.v1)  # not selected: nothing is due
    for household in (surveyed, unsurveyed):
        make_enrollment(db, training=training, household=household)
    _survey(db, surveyed, "baseline", 30_000, dt.date(2026, 11, 1))
    _survey(db, surveyed, "follow_up_3m", 31_000, dt.date(2027, 3, 6))

    assert _ids(quality.missing_baseline(db, None, TODAY)) == [unsurveyed.id]
    # The last day is 5 Dec 2026: 3 months are due 5 Mar 2027, 6 months 5 Jun 2027 (not yet on 1 Jun).
    overdue = quality.overdue_follow_ups(db, None, TODAY)
    assert sorted((f.record_id, f.facts["kind"]) for f in overdue) == [(unsurveyed.id, "follow_up_3m")]


def test_implausible_numbers(db):
    crowded = make_household(db, village_id=db.v1, members=21)
    make_household(db, village_id=db.v1, members=20)
    steady, jumping = make_household(db, village_id=db.v1), make_household(db, village_id=db.v1)
    _survey(db, steady, "baseline", 30_000, dt.date(2026, 11, 1))
    _survey(db, steady, "follow_up_3m", 150_000, dt.date(2027, 3, 1))  # exactly 5×: plausible
    _survey(db, jumping, "baseline", 30_000, dt.date(2026, 11, 1))
    late = _survey(db, jumping, "follow_up_3m", 150_001, dt.date(2027, 3, 1))

    assert _ids(quality.implausible_numbers(db, None, TODAY)) == sorted([crowded.id, late.id])


def test_quiet_phones_and_clock_skew(db):
    officer = make_user(db, username="field1", role="officer", subdistrict_codes=["341401"])
    away = make_user(db, username="field2", role="officer", subdistrict_codes=["341402"])
    now = dt.datetime(2027, 6, 1, 3, tzinfo=dt.timezone.utc)
    quiet = Device(user_id=officer.id, name="quiet", token_hash="a" * 64, last_seen_at=now - dt.timedelta(days=8))
    busy = Device(user_id=officer.id, name="busy", token_hash="b" * 64, last_seen_at=now - dt.timedelta(days=1))
    other = Device(user_id=away.id, name="other", token_hash="c" * 64, last_seen_at=None)
    db.add_all([quiet, busy, other])
    db.flush()
    db.add(AuditEntry(at=now - dt.timedelta(days=2), user_id=officer.id, device_id=busy.id, action="update",
                      entity="attendance", detail={"via": "sync", "clock_skew": True}))
    db.add(AuditEntry(at=now - dt.timedelta(days=2), user_id=officer.id, device_id=quiet.id, action="update",
                      entity="attendance", detail={"via": "sync"}))
    db.commit()
    subdistrict_1 = {v.id for v in db.geo["villages"] if v.subdistrict_code == "341401"}

    assert _ids(quality.phones_not_synced(db, subdistrict_1, TODAY)) == [quiet.id]
    assert _ids(quality.phones_not_synced(db, None, TODAY)) == sorted([quiet.id, other.id])
    assert _ids(quality.clock_skew(db, subdistrict_1, TODAY)) == [busy.id]
