"""The home page tells each role what to do next in their own area, with a link to do it."""
from sqlmodel import Session, select

from server.demo import seed_demo
from server.models import Conflict, Village
from tests.foundation.helpers import sign_in


def test_the_officer_is_sent_to_the_incomplete_team_of_their_own_village(client, engine):
    with Session(engine) as db:
        seed_demo(db)
        mine = db.exec(select(Village).where(Village.code == "3414010" + "1")).one()
        elsewhere = db.exec(select(Village).where(Village.code.startswith("341405"))).first()
    sign_in(client, "officer", "sammachip-demo")
    page = client.get("/").text
    assert f'href="/teams/{mine.id}"' in page and "ทีมวิทยากรยังไม่ครบ" in page
    assert elsewhere.name not in page


def test_the_supervisor_sees_open_conflicts_of_the_district(client, engine):
    with Session(engine) as db:
        seed_demo(db)
        village = db.exec(select(Village)).first()
        db.add(Conflict(entity="household", record_id="x", village_id=village.id, field="phone",
                        kept="1", other="2"))
        db.commit()
    sign_in(client, "supervisor", "sammachip-demo")
    assert "รอตรวจสอบ: 1 รายการ" in client.get("/").text


def test_a_village_outside_the_targets_with_a_training_is_on_the_list_with_what_it_lacks(client, engine):
    import datetime as dt

    from server.models import Attendance, TrainingSession
    from server.core.dates import current_fiscal_year
    from tests.support.factories import make_geography, make_household, make_training, make_user

    today = dt.date.today()
    with Session(engine) as db:
        geo = make_geography(db)
        village = geo["village"]["34140101"]
        village.participating = False
        db.add(village)
        make_user(db, username="north", role="officer", subdistrict_codes=["341401"])
        course = make_training(db, village_id=village.id, fiscal_year=current_fiscal_year(),
                               first_day=today - dt.timedelta(days=10))
        sessions = course["sessions"]
        household = make_household(db, village_id=village.id)
        db.add(Attendance(session_id=sessions[0].id, household_id=household.id, present=True))
        undated = db.get(TrainingSession, sessions[4].id)
        undated.date = None
        db.add(undated)
        db.commit()
        training_id, village_id = course["training"].id, village.id
    sign_in(client, "north")
    page = client.get("/").text
    assert "ไม่มีงานค้าง" not in page
    assert f'href="/teams/{village_id}"' in page  # no team at all
    assert f'href="/trainings/{training_id}/select"' in page  # no household selected
    undated_list = page[page.index('id="todo-undated"'):]
    assert "ยังไม่กำหนดวันที่ 1 วัน" in undated_list.split("</ul>")[0]
    missing = page[page.index('id="todo-no-attendance"'):].split("</ul>")[0]
    assert [f"#day-{n}" in missing for n in range(1, 6)] == [False, True, True, True, False]
    assert "อบรมแล้ว 4/5 วัน" in page
