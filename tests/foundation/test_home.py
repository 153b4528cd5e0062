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
