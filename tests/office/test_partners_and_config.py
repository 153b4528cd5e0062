"""Partners on a fresh install, support and publicity; configuration for administrators only."""
import json

from sqlmodel import Session, select

from server.config.values import poverty_line
from server.models import (
    AppSetting,
    FiveKElement,
    Occupation,
    Partner,
    PartnerSupport,
    PovertyLine,
    PublicityMeeting,
)
from tests.foundation.helpers import post_form, sign_in
from tests.office.test_trainings import plan, the_training


def test_a_fresh_install_adds_the_four_support_organisations_once(north, world, engine):
    page = north.get("/partners").text
    assert "เพิ่มองค์กรสนับสนุนระดับอำเภอ" in page
    post_form(north, "/partners/defaults", {"district_code": "3414"})
    post_form(north, "/partners/defaults", {"district_code": "3414"})
    with Session(engine) as db:
        partners = db.exec(select(Partner)).all()
    assert len(partners) == 4 and all(p.preloaded for p in partners)
    assert "เพิ่มองค์กรสนับสนุนระดับอำเภอ" not in north.get("/partners").text


def test_a_partner_supports_a_training_and_a_meeting_is_recorded(north, world, engine):
    post_form(north, "/partners", {"district_code": "3414", "name": "บริษัทสมมุติ จำกัด", "kind": "เอกชน"})
    plan(north, world)
    training, _ = the_training(engine)
    with Session(engine) as db:
        partner = db.exec(select(Partner)).one()
    ok = post_form(north, f"/partners/{partner.id}/supports", {"target": f"training:{training.id}",
                                                               "note": "วัสดุอุปกรณ์"}, follow_redirects=False)
    assert ok.status_code in (302, 303)
    meeting = post_form(north, "/partners/meetings", {"district_code": "3414", "subdistrict_code": "341401",
                                                      "held_on": "05/11/2569", "audience": ["ศอช.ต.", "อช."],
                                                      "notes": "ชี้แจงโครงการ"}, follow_redirects=False)
    assert meeting.status_code in (302, 303)
    bad = post_form(north, "/partners/meetings", {"district_code": "3414", "held_on": "", "notes": "x"})
    assert bad.status_code == 422 and "จำเป็นต้องกรอก" in bad.text and ">x</textarea>" in bad.text
    with Session(engine) as db:
        assert db.exec(select(PartnerSupport)).one().training_id == training.id
        assert db.exec(select(PublicityMeeting)).one().audience == "ศอช.ต., อช."
    assert "5 พ.ย. 2569" in north.get("/partners").text


def test_only_administrators_change_the_configuration(client, world, engine):
    sign_in(client, "north")
    assert client.get("/admin/config").status_code == 403
    assert post_form(client, "/admin/config/settings", {"households_per_village": "5",
                                                         "follow_up_months": "1"}).status_code == 403
    sign_in(client, "root")
    assert client.get("/admin/config").status_code == 200
    bad = post_form(client, "/admin/config/settings", {"households_per_village": "0", "follow_up_months": "x"})
    assert bad.status_code == 422
    post_form(client, "/admin/config/settings", {"households_per_village": "25", "follow_up_months": "6, 3, 12, 24"})
    post_form(client, "/admin/config/poverty-lines", {"from_year": "2571", "to_year": "2575", "amount": "40000"})
    reversed_years = post_form(client, "/admin/config/poverty-lines", {"from_year": "2575", "to_year": "2571",
                                                                       "amount": "40000"})
    assert reversed_years.status_code == 422
    post_form(client, "/admin/config/five-k", {"code": "market", "name_th": "ตลาด", "name_en": "Market",
                                               "criterion_th": "มีช่องทางจำหน่าย", "criterion_en": "A sales channel exists",
                                               "sort_order": "9"})
    post_form(client, "/admin/config/occupations", {"code": "weaving", "kind": "trade", "name_th": "ทอผ้า",
                                                    "name_en": "Weaving"})
    with Session(engine) as db:
        assert db.get(AppSetting, "households_per_village").value == "25"
        assert json.loads(db.get(AppSetting, "follow_up_months").value) == [3, 6, 12, 24]
        assert poverty_line(db, 2573) == 40_000
        assert db.exec(select(PovertyLine).where(PovertyLine.from_year == 2575)).first() is None
        assert db.get(FiveKElement, "market").criterion_en == "A sales channel exists"
        assert db.get(Occupation, "weaving").active


def test_plan_periods_of_the_poverty_line_must_not_overlap(client, world, engine):
    sign_in(client, "root")  # the defaults run to 2570
    overlapping = post_form(client, "/admin/config/poverty-lines", {"from_year": "2570", "to_year": "2574",
                                                                    "amount": "40000"})
    assert overlapping.status_code == 422 and "2565–2570" in overlapping.text
    added = post_form(client, "/admin/config/poverty-lines", {"from_year": "2571", "to_year": "2574",
                                                              "amount": "40000"}, follow_redirects=False)
    assert added.status_code in (302, 303)
    with Session(engine) as db:
        line = db.exec(select(PovertyLine).where(PovertyLine.from_year == 2571)).one()
    stretched = post_form(client, f"/admin/config/poverty-lines/{line.id}", {"from_year": "2569", "to_year": "2574",
                                                                            "amount": "40000"})
    assert stretched.status_code == 422 and "ซ้อนทับ" in stretched.text
    kept = post_form(client, f"/admin/config/poverty-lines/{line.id}", {"from_year": "2571", "to_year": "2575",
                                                                       "amount": "41000"}, follow_redirects=False)
    assert kept.status_code in (302, 303)
    with Session(engine) as db:
        assert poverty_line(db, 2575) == 41_000 and poverty_line(db, 2570) == 38_000


def test_meeting_audiences_and_who_found_a_sage_read_in_english_after_the_switch(north, world):
    post_form(north, "/partners/meetings", {"district_code": "3414", "held_on": "05/11/2569", "audience": ["อช."]})
    assert "ผู้นำ อช." in north.get("/partners").text
    north.get("/lang/en?next=/")
    page = north.get("/partners").text
    assert "Community-development volunteers" in page and "Kamnan and village heads" in page
    assert "> หัวหน้าส่วนราชการระดับตำบล" not in page and "<td>อช.</td>" not in page
    assert "Village head" in north.get("/sages/new").text
