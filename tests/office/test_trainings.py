"""Trainings: five default days, dates typed in the Buddhist Era, moves that keep attendance."""
import datetime as dt

from sqlmodel import Session, select

from server.core.dates import current_fiscal_year, thai_today
from server.models import Attendance, Training, TrainingSession
from sync.changes import stamp_change
from tests.foundation.helpers import post_form


def plan(client, world, **overrides):
    data = {"village_id": world.villages["34140101"], "fiscal_year": current_fiscal_year(), "occupation": "orchard",
            "title": "", "start_date": "01/12/2569"}
    data.update(overrides)
    return post_form(client, "/trainings", data, follow_redirects=False)


def the_training(engine):
    with Session(engine) as db:
        training = db.exec(select(Training)).one()
        sessions = db.exec(select(TrainingSession).where(TrainingSession.training_id == training.id)
                           .order_by(TrainingSession.day)).all()
        return training, sessions


def test_a_training_gets_five_days_with_default_kinds_from_a_be_start_date(north, world, engine):
    response = plan(north, world)
    assert response.status_code in (302, 303), response.text
    _training, sessions = the_training(engine)
    assert [s.kind for s in sessions] == ["knowledge"] * 3 + ["study_visit", "home_practice"]
    assert sessions[0].date == dt.date(2026, 12, 1) and sessions[4].date == dt.date(2026, 12, 5)
    page = north.get(response.headers["location"]).text
    assert 'value="01/12/2569"' in page and "ศึกษาดูงาน" in page


def test_the_same_trade_twice_in_a_year_and_bad_dates_are_refused(north, world, engine):
    plan(north, world)
    again = plan(north, world)
    assert again.status_code == 422 and "มีการฝึกอบรมอาชีพนี้ในปีงบประมาณนี้แล้ว" in again.text
    bad = plan(north, world, occupation="livestock", start_date="32/13/2569")
    assert bad.status_code == 422 and "วันที่ไม่ถูกต้อง" in bad.text and "32/13/2569" in bad.text
    with Session(engine) as db:
        assert len(db.exec(select(Training)).all()) == 1


def test_moving_a_day_keeps_the_attendance_already_recorded(north, world, engine):
    plan(north, world)
    training, sessions = the_training(engine)
    day2 = sessions[1]
    with Session(engine) as db:
        for label in ("h1", "h2"):
            record = Attendance(session_id=day2.id, household_id=world.households[label], present=True)
            db.add(record)
            stamp_change(db, record, entity="attendance", fields=("session_id", "household_id", "present"),
                         village_id=training.village_id, user_id=None)
        db.commit()
    today = thai_today()

    def typed(day: dt.date) -> str:  # as an officer types it: day/month/BE year
        return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"

    ahead = post_form(north, f"/trainings/{training.id}/sessions/{day2.id}",
                      {"date": typed(today + dt.timedelta(days=1)), "kind": "knowledge", "destination": "",
                       "note": "เลื่อนเพราะฝนตก", "seq": day2.seq}, follow_redirects=False)
    assert ahead.status_code == 422  # its marks would record a day not yet held
    assert "วันอบรมนี้มีการลงเวลาแล้ว ย้ายไปหลังวันนี้ไม่ได้" in ahead.text
    moved = post_form(north, f"/trainings/{training.id}/sessions/{day2.id}",
                      {"date": typed(today), "kind": "knowledge", "destination": "", "note": "ลงวันที่จัดจริง",
                       "seq": day2.seq}, follow_redirects=False)
    assert moved.status_code in (302, 303), moved.text
    with Session(engine) as db:
        session = db.get(TrainingSession, day2.id)
        assert session.date == today and session.seq > day2.seq
        kept = db.exec(select(Attendance).where(Attendance.session_id == day2.id)).all()
        assert len(kept) == 2 and all(a.present for a in kept)
    assert "เข้าร่วม 2 ครัวเรือน" in north.get(f"/trainings/{training.id}").text


def test_a_day_edited_by_someone_else_meanwhile_is_not_overwritten(north, world, engine):
    plan(north, world)
    training, sessions = the_training(engine)
    day4 = sessions[3]
    form = {"kind": "study_visit", "seq": day4.seq}
    assert post_form(north, f"/trainings/{training.id}/sessions/{day4.id}",
                     {**form, "date": "10/12/2569", "destination": "ศูนย์เรียนรู้ก"},
                     follow_redirects=False).status_code in (302, 303)
    stale = post_form(north, f"/trainings/{training.id}/sessions/{day4.id}",
                      {**form, "date": "11/12/2569", "destination": "ศูนย์เรียนรู้ข"})
    assert stale.status_code == 409 and "มีผู้อื่นบันทึกข้อมูลนี้" in stale.text
    with Session(engine) as db:
        assert db.get(TrainingSession, day4.id).destination == "ศูนย์เรียนรู้ก"


def test_a_date_with_an_implausible_year_is_refused_on_the_form(north, world, engine):
    for typed in ("01/12/1800", "01/12/3569", "01/12/0001"):
        refused = plan(north, world, start_date=typed)
        assert refused.status_code == 422 and "วันที่ไม่ถูกต้อง" in refused.text, typed
    with Session(engine) as db:
        assert db.exec(select(Training)).first() is None


def test_a_day_moved_before_an_earlier_one_is_saved_with_a_warning(north, world, engine):
    plan(north, world)  # days on 1–5 Dec 2569
    training, sessions = the_training(engine)
    day3 = sessions[2]
    moved = post_form(north, f"/trainings/{training.id}/sessions/{day3.id}",
                      {"date": "30/11/2569", "kind": "knowledge", "seq": day3.seq}, follow_redirects=False)
    assert moved.status_code in (302, 303)
    page = north.get(f"/trainings/{training.id}").text
    assert "วันที่ 3 สลับลำดับวันได้" in page
    with Session(engine) as db:
        assert db.get(TrainingSession, day3.id).date == dt.date(2026, 11, 30)


def test_the_date_of_a_day_with_attendance_cannot_be_cleared(north, world, engine):
    plan(north, world)
    training, sessions = the_training(engine)
    day1, day2 = sessions[0], sessions[1]
    with Session(engine) as db:
        record = Attendance(session_id=day1.id, household_id=world.households["h1"], present=False)
        db.add(record)
        stamp_change(db, record, entity="attendance", fields=("session_id", "household_id", "present"),
                     village_id=training.village_id, user_id=None)
        db.commit()
    refused = post_form(north, f"/trainings/{training.id}/sessions/{day1.id}",
                        {"date": "", "kind": "knowledge", "seq": day1.seq})
    assert refused.status_code == 422 and "ล้างวันที่ไม่ได้" in refused.text
    cleared = post_form(north, f"/trainings/{training.id}/sessions/{day2.id}",
                        {"date": "", "kind": "knowledge", "seq": day2.seq}, follow_redirects=False)
    assert cleared.status_code in (302, 303)
    with Session(engine) as db:
        assert db.get(TrainingSession, day1.id).date is not None
        assert db.get(TrainingSession, day2.id).date is None


def test_the_training_list_leaves_out_deleted_days(north, world, engine):
    plan(north, world)
    _training, sessions = the_training(engine)
    with Session(engine) as db:
        day5 = db.get(TrainingSession, sessions[4].id)
        day5.deleted = True
        db.add(day5)
        db.commit()
    page = north.get("/trainings").text
    assert '<span class="tag">4: ' in page and '<span class="tag">5: ' not in page


def test_a_stale_title_save_shows_the_title_the_user_typed(north, world, engine):
    plan(north, world)
    training, _sessions = the_training(engine)
    assert post_form(north, f"/trainings/{training.id}", {"title": "ชื่อจากคนแรก", "seq": training.seq},
                     follow_redirects=False).status_code in (302, 303)
    late = post_form(north, f"/trainings/{training.id}", {"title": "ชื่อจากคนที่สอง", "seq": training.seq})
    assert late.status_code == 409 and 'value="ชื่อจากคนแรก"' in late.text
    yours = late.text.split('id="your-values"')[1].split("</section>")[0]
    assert "<strong>ชื่อจากคนที่สอง</strong>" in yours and "ชื่อจากคนแรก" in yours
