"""The audit log reads in words in the user's language: what was done to which record, and each change
as "field: old → new" (a citizen ID masked), never raw codes or JSON; it fits a phone's width."""
import datetime as dt

from sqlmodel import Session, select

from server.audit.log import audit
from server.models import Household, User
from server.synced.write import save_synced
from tests.foundation.helpers import sign_in
from tests.support.factories import make_geography, make_household, make_user, valid_citizen_id


def test_a_change_reads_as_field_old_and_new_value_in_thai_and_english(client, engine):
    with Session(engine) as db:
        geo = make_geography(db)
        make_user(db, username="root", role="admin")
        officer = make_user(db, username="north", role="officer", subdistrict_codes=["341401"])
        household = make_household(db, village_id=geo["village"]["34140101"].id, members=4, annual_income=40_000)
        save_synced(db, db.get(Household, household.id), entity="household", user=officer,
                    values={"members": 5, "annual_income": 36_000, "citizen_id": valid_citizen_id(7)})
        audit(db, action="sign_in", user_id=officer.id)
        audit(db, action="view", entity="household", user_id=officer.id,
              detail={"report": "village", "year": 2570, "list": True})
        db.commit()
    sign_in(client, "root")
    page = client.get("/admin/audit").text
    table = page[page.index('id="audit-entries"'):]
    assert "แก้ไข · ครัวเรือน" in table
    assert "จำนวนสมาชิก: 4 → 5" in table
    assert "รายได้ครัวเรือนต่อปี (บาท): 40,000 บาท → 36,000 บาท" in table
    cid = valid_citizen_id(7)
    assert f"x-xxxx-xxxxx-{cid[10:12]}-{cid[12]}" in table and cid not in table
    assert "เข้าสู่ระบบ" in table and "เปิดดู · ครัวเรือน" in table
    for code in ("sign_in", "annual_income", "members", '{"', "&#34;"):
        assert code not in table, code
    assert ">เข้าสู่ระบบ</option>" in page  # the action filter in words too

    client.get("/lang/en?next=/")
    english = client.get("/admin/audit").text
    assert "changed · Household" in english and "Members: 4 → 5" in english
