"""Attendance is taken on a day that has come: a mark on a training day dated after today (Thai time) is
refused on `session_id`, saying what to do, from a phone's push and through the office's write path alike;
once the office moves the day's date, the same mark is sent again and kept."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from server.core.dates import thai_today
from server.models import Attendance, Household, TrainingSession
from server.synced.write import Refused, save_synced
from tests.sync.helpers import make_training, op, push_ok
from tests.sync.helpers import sign_in as phone_sign_in

THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@pytest.fixture
def days(engine, world) -> list[TrainingSession]:
    """A training whose days run from 3 days ago to tomorrow (day 5)."""
    with Session(engine, expire_on_commit=False) as db:
        _training, sessions = make_training(db, village_id=world.villages["34140101"],
                                            start=thai_today() - dt.timedelta(days=3))
    return sessions


def _mark(session_id: str, household_id: str, present: bool = True) -> dict:
    return op("attendance", fields={"session_id": session_id, "household_id": household_id, "present": present})


def _marks(engine) -> list[tuple[int, bool]]:
    with Session(engine) as db:
        return sorted(db.exec(select(TrainingSession.day, Attendance.present)
                              .join(Attendance, Attendance.session_id == TrainingSession.id)).all())


def test_a_phone_marking_a_day_dated_tomorrow_is_told_to_have_it_moved(north, world, engine, days):
    tomorrow = thai_today() + dt.timedelta(days=1)
    assert [d.date for d in days][-2:] == [thai_today(), tomorrow]
    phone = phone_sign_in(north, "north")

    results = push_ok(north, phone, [_mark(d.id, world.households["h1"]) for d in days])

    assert [r["status"] for r in results] == ["applied"] * 4 + ["rejected"]
    (error,) = results[4]["errors"]
    month = tomorrow.month - 1
    assert (error["field"], error["code"]) == ("session_id", "invalid")
    assert error["message_th"] == (f"วันอบรมนี้กำหนดไว้ {tomorrow.day} {THAI_MONTHS[month]} {tomorrow.year + 543} "
                                   "ซึ่งยังมาไม่ถึง ขอให้สำนักงานแก้วันที่ของวันอบรมก่อน แล้วจึงส่งอีกครั้ง")
    assert error["message_en"] == (f"This training day is dated {tomorrow.day} {ENGLISH_MONTHS[month]} "
                                   f"{tomorrow.year + 543} BE, after today: "
                                   "ask the office to move the day's date, then send again")
    assert _marks(engine) == [(1, True), (2, True), (3, True), (4, True)]


def test_once_the_office_moves_the_day_the_same_mark_sent_again_is_kept(north, world, engine, days):
    phone = phone_sign_in(north, "north")
    refused = _mark(days[4].id, world.households["h2"], present=False)
    assert push_ok(north, phone, [refused])[0]["status"] == "rejected"

    with Session(engine) as db:  # the training's last day was in fact held today
        save_synced(db, db.get(TrainingSession, days[4].id), entity="session", values={"date": thai_today()},
                    user=None)
        db.commit()
    (result,) = push_ok(north, phone, [{**refused, "op_id": op("attendance")["op_id"]}])

    assert result["status"] == "applied"
    assert _marks(engine) == [(5, False)]


def test_the_office_write_path_refuses_attendance_on_a_day_to_come(world, engine, days):
    with Session(engine) as db:
        household = db.get(Household, world.households["h1"])
        with pytest.raises(Refused) as refused:
            save_synced(db, Attendance(), entity="attendance", user=None,
                        values={"session_id": days[4].id, "household_id": household.id, "present": True})
        assert [(e.field, e.code) for e in refused.value.errors] == [("session_id", "invalid")]
        save_synced(db, Attendance(), entity="attendance", user=None,
                    values={"session_id": days[3].id, "household_id": household.id, "present": True})
        db.commit()
    assert _marks(engine) == [(4, True)]


def test_a_day_with_marks_is_not_moved_after_today_but_one_without_is(world, engine, days):
    tomorrow = thai_today() + dt.timedelta(days=1)
    with Session(engine) as db:
        save_synced(db, Attendance(), entity="attendance", user=None,
                    values={"session_id": days[2].id, "household_id": world.households["h1"], "present": True})
        db.commit()
    with Session(engine) as db:
        with pytest.raises(Refused) as refused:
            save_synced(db, db.get(TrainingSession, days[2].id), entity="session", values={"date": tomorrow},
                        user=None)
        assert [(e.field, e.code) for e in refused.value.errors] == [("date", "invalid")]
        assert refused.value.errors[0].message("en").startswith("Attendance is already recorded for this day")
    with Session(engine) as db:
        save_synced(db, db.get(TrainingSession, days[1].id), entity="session", values={"date": tomorrow}, user=None)
        db.commit()
        assert db.get(TrainingSession, days[2].id).date == thai_today() - dt.timedelta(days=1)
        assert db.get(TrainingSession, days[1].id).date == tomorrow
