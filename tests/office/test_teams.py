"""Trainer teams: 5 trainers per village and year, a 6th refused, one lead a year, outsiders need a note."""
from sqlmodel import Session, select

from server.models import TeamMember, TrainerTeam
from server.core.dates import current_fiscal_year
from tests.foundation.helpers import post_form

FY = current_fiscal_year()


def _add(client, village_id, sage_id, note=""):
    return post_form(client, f"/teams/{village_id}/members", {"fy": FY, "sage_id": sage_id, "outside_note": note},
                     follow_redirects=False)


def _lead(client, village_id, sage_id, note="", seq=""):
    return post_form(client, f"/teams/{village_id}/lead", {"fy": FY, "lead_sage_id": sage_id, "note": note,
                                                            "seq": seq}, follow_redirects=False)


def test_a_team_of_five_is_complete_and_a_sixth_trainer_is_refused(north, world, engine):
    village = world.villages["34140101"]
    assert _lead(north, village, world.sages["north1"]).status_code in (302, 303)
    page = north.get(f"/teams/{village}").text
    assert "ยังขาด" in page  # the page says what is missing
    for n in range(2, 6):
        assert _add(north, village, world.sages[f"north{n}"]).status_code in (302, 303)
    page = north.get(f"/teams/{village}").text
    assert "5/5" in page and "ทีมวิทยากรครบแล้ว" in page
    refused = _add(north, village, world.sages["north6"])
    assert refused.status_code == 422
    assert "ทีมมีวิทยากรครบ 5 คนแล้ว" in refused.text
    with Session(engine) as db:
        team = db.exec(select(TrainerTeam).where(TrainerTeam.village_id == village)).one()
        assert len(db.exec(select(TeamMember).where(TeamMember.team_id == team.id)).all()) == 4


def test_a_sage_leads_only_one_team_a_year(north, world, engine):
    first, second = world.villages["34140101"], world.villages["34140102"]
    assert _lead(north, first, world.sages["north1"]).status_code in (302, 303)
    refused = _lead(north, second, world.sages["north1"], note="มาช่วยหมู่บ้านข้างเคียง")
    assert refused.status_code == 422
    assert "นำได้เพียงหนึ่งทีมต่อปี" in refused.text
    with Session(engine) as db:
        assert db.exec(select(TrainerTeam).where(TrainerTeam.village_id == second)).first() is None


def test_a_sage_from_outside_the_village_needs_a_note(north, world, engine):
    village = world.villages["34140101"]
    outsider = world.sages["other1"]
    refused = _add(north, village, outsider)
    assert refused.status_code == 422 and "ต้องบันทึกเหตุผล" in refused.text
    accepted = _add(north, village, outsider, note="ผู้เชี่ยวชาญการเพาะกล้าคนเดียวในตำบล")
    assert accepted.status_code in (302, 303)
    with Session(engine) as db:
        member = db.exec(select(TeamMember).where(TeamMember.sage_id == outsider)).one()
        assert member.outside_note == "ผู้เชี่ยวชาญการเพาะกล้าคนเดียวในตำบล"


def test_changing_the_lead_on_a_stale_form_is_refused(north, world, engine):
    village = world.villages["34140101"]
    _lead(north, village, world.sages["north1"])
    with Session(engine) as db:
        seq = db.exec(select(TrainerTeam).where(TrainerTeam.village_id == village)).one().seq
    assert _lead(north, village, world.sages["north2"], seq=seq).status_code in (302, 303)
    stale = _lead(north, village, world.sages["north3"], seq=seq)
    assert stale.status_code == 409
    with Session(engine) as db:
        assert db.exec(select(TrainerTeam).where(TrainerTeam.village_id == village)).one().lead_sage_id \
            == world.sages["north2"]


def test_a_lead_from_outside_the_village_needs_a_note_too(north, world):
    village = world.villages["34140101"]
    refused = _lead(north, village, world.sages["other1"])
    assert refused.status_code == 422 and "ต้องบันทึกเหตุผล" in refused.text
    assert _lead(north, village, world.sages["other1"], note="ไม่มีปราชญ์ด้านนี้ในหมู่บ้าน").status_code in (302, 303)


def test_errors_come_in_english_after_the_language_switch(north, world):
    north.cookies.set("lang", "en")
    refused = _add(north, world.villages["34140101"], world.sages["other1"])
    assert refused.status_code == 422
    assert "This sage lives outside the village: note why they train here" in refused.text
    assert "Trainer team of" in refused.text


def test_a_sage_serves_on_one_team_a_year(north, world, engine):
    first, second = world.villages["34140101"], world.villages["34140102"]
    assert _lead(north, first, world.sages["north1"]).status_code in (302, 303)
    assert _add(north, first, world.sages["north2"]).status_code in (302, 303)
    lead_as_trainer = _add(north, second, world.sages["north1"], note="ช่วยสอน")
    assert lead_as_trainer.status_code == 422 and "หนึ่งทีมต่อปี" in lead_as_trainer.text
    trainer_twice = _add(north, second, world.sages["north2"], note="ช่วยสอน")
    assert trainer_twice.status_code == 422 and "หนึ่งทีมต่อปี" in trainer_twice.text
    trainer_as_lead = _lead(north, second, world.sages["north2"], note="ช่วยนำ")
    assert trainer_as_lead.status_code == 422 and "หนึ่งทีมต่อปี" in trainer_as_lead.text
    next_year = post_form(north, f"/teams/{second}/members", {"fy": FY + 1, "sage_id": world.sages["north1"],
                                                              "outside_note": "ช่วยสอน"}, follow_redirects=False)
    assert next_year.status_code in (302, 303)
    with Session(engine) as db:
        teams = db.exec(select(TrainerTeam).where(TrainerTeam.village_id == second)).all()
    assert [t.fiscal_year for t in teams] == [FY + 1]
