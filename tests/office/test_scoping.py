"""Area scoping: an officer of another subdistrict gets 404 on every office URL of a record outside
their area, cannot change it by POST, and never sees it in lists."""
from sqlmodel import Session, select

from server.models import (
    District,
    FiveKAssessment,
    GroupMember,
    OccupationGroup,
    Partner,
    Sage,
    TeamMember,
    Training,
    TrainingSession,
)
from tests.foundation.helpers import post_form, sign_in
from tests.office.test_groups import _group, _trained
from tests.office.test_teams import _add, _lead


def _north_records(client, world, engine):
    village = world.villages["34140101"]
    _lead(client, village, world.sages["north1"])
    _add(client, village, world.sages["north2"])
    chosen = _trained(client, world, engine)
    _group(client, world, chosen)
    with Session(engine) as db:
        db.add(District(code="3415", province_code="34", name_th="อำเภอสมมุติ", name_en="Somewhere"))
        db.flush()
        db.add(Partner(district_code="3415", name="ภาคีอำเภออื่น"))
        db.commit()
        training = db.exec(select(Training)).one()
        return {
            "village": village, "sage": world.sages["north1"], "household": world.households["h1"],
            "training": training.id,
            "session": db.exec(select(TrainingSession).where(TrainingSession.day == 1)).one().id,
            "group": db.exec(select(OccupationGroup)).one().id,
            "member": db.exec(select(TeamMember)).one().id,
            "partner": db.exec(select(Partner).where(Partner.district_code == "3415")).one().id,
        }


def test_an_officer_of_another_subdistrict_gets_404_and_changes_nothing(client, world, engine):
    sign_in(client, "north")
    r = _north_records(client, world, engine)
    sign_in(client, "south")
    pages = [f"/sages/{r['sage']}/edit", f"/sages/{r['sage']}/row", f"/teams/{r['village']}",
             f"/trainings/{r['training']}", f"/trainings/{r['training']}/select", f"/households/{r['household']}/edit",
             f"/groups/{r['group']}", f"/groups/new?village={r['village']}"]
    for url in pages:
        assert client.get(url).status_code == 404, url
    posts = {
        f"/sages/{r['sage']}": {"name": "ถูกแก้", "village_id": world.villages["34140201"]},
        f"/teams/{r['village']}/lead": {"lead_sage_id": world.sages["south1"]},
        f"/teams/{r['village']}/members": {"sage_id": world.sages["south1"], "outside_note": "x"},
        f"/teams/{r['village']}/members/{r['member']}/remove": {},
        f"/trainings/{r['training']}": {"title": "ถูกแก้"},
        f"/trainings/{r['training']}/sessions/{r['session']}": {"date": "01/01/2570", "kind": "knowledge"},
        f"/trainings/{r['training']}/select": {"selected": [world.households["south"]]},
        f"/households/{r['household']}": {"head_name": "ถูกแก้", "members": "1", "annual_income": "1",
                                           "house_no": "1", "village_id": world.villages["34140201"]},
        f"/groups/{r['group']}": {"name": "ถูกแก้", "category": "agriculture"},
        f"/groups/{r['group']}/members": {"remove": ["1"]},
        f"/groups/{r['group']}/assessments": {"assessed_on": "01/01/2570", "scores": ["members"]},
        "/groups": {"village_id": r["village"], "name": "กลุ่มแอบสร้าง", "category": "agriculture"},
        f"/partners/{r['partner']}/supports": {"target": f"training:{r['training']}"},
    }
    for url, data in posts.items():
        assert post_form(client, url, data).status_code == 404, url
    # Creating a record in someone else's village is refused at the village field.
    sneaky = post_form(client, "/sages", {"name": "แอบเพิ่ม", "village_id": r["village"]})
    assert sneaky.status_code == 422 and "กรุณาเลือกหมู่บ้านในพื้นที่รับผิดชอบ" in sneaky.text
    with Session(engine) as db:
        assert db.get(Sage, r["sage"]).name == "ปราชญ์ทดสอบ1"
        assert db.get(Training, r["training"]).title is None
        assert db.get(OccupationGroup, r["group"]).name == "กลุ่มทดสอบปลูกผัก"
        assert len(db.exec(select(GroupMember)).all()) == 3
        assert db.exec(select(FiveKAssessment)).first() is None
        assert db.get(TeamMember, r["member"]) is not None
    for url in ("/sages", "/households", "/trainings", "/groups", "/teams", "/partners"):
        page = client.get(url).text
        for secret in ("ปราชญ์ทดสอบ1", "นางทดสอบ h1", "กลุ่มทดสอบปลูกผัก", "บ้านนาทดลอง", "ภาคีอำเภออื่น"):
            assert secret not in page, (url, secret)
