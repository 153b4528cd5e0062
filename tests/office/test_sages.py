"""The sage registry: add with a BE date, masked citizen IDs, search, inline edit, stale edits."""
import datetime as dt

from sqlmodel import Session, select

from server.models import AuditEntry, ChangeFeed, Sage
from tests.foundation.helpers import csrf_token, post_form
from tests.support.factories import valid_citizen_id


def _sage_form(world, **overrides):
    data = {"name": "นายสมมุติ ปราชญ์ใหม่", "village_id": world.villages["34140101"], "phone": "0891234567",
            "citizen_id": valid_citizen_id(42), "skills": ["orchard", "livestock"], "skills_note": "จักสาน, สบู่สมุนไพร",
            "found_by": "อช.", "workshop_date": "24/11/2569", "note": ""}
    data.update(overrides)
    return data


def test_a_new_sage_is_saved_with_skills_and_a_buddhist_era_workshop_date(north, world, engine):
    response = post_form(north, "/sages", _sage_form(world), follow_redirects=False)
    assert response.status_code in (302, 303), response.text
    with Session(engine) as db:
        sage = db.exec(select(Sage).where(Sage.name == "นายสมมุติ ปราชญ์ใหม่")).one()
        assert sage.workshop_date == dt.date(2026, 11, 24)
        assert sage.skills == ["orchard", "livestock"]
        assert sage.skills_note == "จักสาน, สบู่สมุนไพร"
        assert sage.seq > 0
        assert db.get(ChangeFeed, ("sage", sage.id)) is not None  # phones will pull it
    page = north.get("/sages").text
    cid = valid_citizen_id(42)
    assert cid not in page and "x-xxxx-xxxxx-" + cid[10:12] + "-" + cid[12] in page
    assert "24 พ.ย. 2569" in page


def test_bad_input_is_shown_per_field_and_what_was_typed_is_kept(north, world, engine):
    bad = _sage_form(world, name="", citizen_id="1234567890123", workshop_date="31/02/2569", phone="abc")
    response = post_form(north, "/sages", bad)
    assert response.status_code == 422
    assert "จำเป็นต้องกรอก" in response.text
    assert "เลขตรวจสอบหลักสุดท้ายไม่ตรง" in response.text
    assert "1234567890123" in response.text and "31/02/2569" in response.text
    with Session(engine) as db:
        assert db.exec(select(Sage).where(Sage.phone == "abc")).first() is None


def test_search_by_skill_and_subdistrict_as_a_fragment(north, world):
    post_form(north, "/sages", _sage_form(world, skills=[], skills_note="ทอผ้าไหม"))
    fragment = north.get("/sages", params={"skill": "ทอผ้า"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "นายสมมุติ ปราชญ์ใหม่" in fragment.text
    assert "ปราชญ์ทดสอบ1" not in fragment.text
    by_place = north.get("/sages", params={"subdistrict": "341401", "village": world.villages["34140102"]}).text
    assert "ปราชญ์ข้างบ้าน1" in by_place and "ปราชญ์ทดสอบ1" not in by_place
    assert "ปราชญ์ใต้1" not in north.get("/sages").text  # another subdistrict


def test_inline_edit_returns_the_row_and_works_without_javascript(north, world, engine):
    sage_id = world.sages["north1"]
    editor = north.get(f"/sages/{sage_id}/edit", headers={"HX-Request": "true"})
    assert editor.status_code == 200 and "<html" not in editor.text and 'name="seq"' in editor.text
    with Session(engine) as db:
        seq = db.get(Sage, sage_id).seq
    data = {"name": "ปราชญ์แก้ไขแล้ว", "village_id": world.villages["34140101"], "skills": ["orchard"], "seq": seq}
    row = north.post(f"/sages/{sage_id}", data=data, headers={"HX-Request": "true", "x-csrftoken": csrf_token(north)})
    assert row.status_code == 200 and row.text.lstrip().startswith("<tr") and "ปราชญ์แก้ไขแล้ว" in row.text
    with Session(engine) as db:
        seq = db.get(Sage, sage_id).seq
    plain = post_form(north, f"/sages/{sage_id}", {**data, "name": "ปราชญ์แบบฟอร์ม", "seq": seq},
                      follow_redirects=False)
    assert plain.status_code in (302, 303)


def test_a_concurrent_edit_is_not_silently_overwritten(north, world, engine):
    sage_id = world.sages["north2"]
    with Session(engine) as db:
        loaded_seq = db.get(Sage, sage_id).seq
    form = {"village_id": world.villages["34140101"], "skills": ["orchard"], "seq": loaded_seq}
    first = post_form(north, f"/sages/{sage_id}", {**form, "name": "ชื่อจากผู้ใช้คนแรก"}, follow_redirects=False)
    assert first.status_code in (302, 303)
    second = post_form(north, f"/sages/{sage_id}", {**form, "name": "ชื่อจากผู้ใช้คนที่สอง"})
    assert second.status_code == 409
    assert "ชื่อจากผู้ใช้คนแรก" in second.text  # the current values, for review
    with Session(engine) as db:
        assert db.get(Sage, sage_id).name == "ชื่อจากผู้ใช้คนแรก"


def test_english_interface(north, world):
    north.cookies.set("lang", "en")
    page = north.get("/sages").text
    assert "Sage registry" in page and "Trainer workshop" in page


def test_opening_a_sage_for_editing_is_recorded_in_the_audit_log(north, world, engine):
    sage_id = world.sages["north1"]
    assert north.get(f"/sages/{sage_id}/edit").status_code == 200
    assert north.get(f"/sages/{sage_id}/edit", headers={"HX-Request": "true"}).status_code == 200
    with Session(engine) as db:
        views = db.exec(select(AuditEntry).where(AuditEntry.action == "view", AuditEntry.entity == "sage",
                                                 AuditEntry.record_id == sage_id)).all()
    assert len(views) == 2 and all(v.user_id is not None for v in views)


def test_a_refused_stale_save_still_shows_what_the_user_typed(north, world, engine):
    sage_id = world.sages["north3"]
    with Session(engine) as db:
        loaded_seq = db.get(Sage, sage_id).seq
    form = _sage_form(world, name="ปราชญ์ทดสอบ3", citizen_id="", seq=loaded_seq)
    assert post_form(north, f"/sages/{sage_id}", {**form, "phone": "0811111111"},
                     follow_redirects=False).status_code in (302, 303)
    typed = {**form, "phone": "0822222222", "workshop_date": "2026-11-24", "note": "พิมพ์ไว้ก่อน"}
    late = post_form(north, f"/sages/{sage_id}", typed)
    assert late.status_code == 409 and 'value="0811111111"' in late.text  # the form holds what is saved now
    assert "ค่าที่ท่านกรอก" in late.text
    yours = late.text.split('id="your-values"')[1].split("</section>")[0]
    assert "<strong>0822222222</strong>" in yours and "0811111111" in yours
    assert "<strong>พิมพ์ไว้ก่อน</strong>" in yours
    assert "ปราชญ์ทดสอบ3" not in yours and "24/11/2569" not in yours  # the same in both (2026-11-24 is that day)
    inline = north.post(f"/sages/{sage_id}", data={**typed, "phone": "0833333333"},
                        headers={"HX-Request": "true", "x-csrftoken": csrf_token(north)})
    assert inline.status_code == 409 and inline.text.lstrip().startswith("<tr")
    assert 'id="your-values"' in inline.text and "<strong>0833333333</strong>" in inline.text
    with Session(engine) as db:
        assert db.get(Sage, sage_id).phone == "0811111111"
