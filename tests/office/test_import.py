"""Household import: a preview with per-row errors and duplicates, nothing written until confirmed; the
checked rows stay on the server, and the page carries only the preview's id."""
import io
import re
from datetime import timedelta

from openpyxl import Workbook
from sqlmodel import Session, func, select

from server.models import Household, ImportPreview
from tests.foundation.helpers import csrf_token, post_form, sign_in
from tests.support.factories import valid_citizen_id

HEADER = "village_code,house_no,head_name,citizen_id,members,annual_income,phone,interest\n"


def upload(client, content: bytes, filename="households.csv"):
    return client.post("/households/import", files={"file": (filename, content)},
                       data={"_csrf_token": csrf_token(client)})


def count(engine) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(Household)).one()


def preview_id(page: str) -> str:
    return re.search(r'name="preview_id" value="([^"]*)"', page).group(1)


def previews(engine) -> list[ImportPreview]:
    with Session(engine) as db:
        return list(db.exec(select(ImportPreview)).all())


def good_file(*numbers: int) -> bytes:
    return (HEADER + "".join(f"34140101,5/{n},นางดี{n} ทดสอบ,{valid_citizen_id(n)},3,45000,,\n"
                             for n in numbers)).encode()


def test_a_bad_file_is_previewed_with_each_problem_and_nothing_is_written(north, world, engine):
    with Session(engine) as db:
        registered = db.get(Household, world.households["h1"])
        registered.citizen_id = valid_citizen_id(900)
        db.add(registered)
        db.commit()
    before = count(engine)
    good = valid_citizen_id(1)
    csv = (HEADER
           + f"34140101,1/1,นางดี ทดสอบ,{good},3,45000,,ทำสวน\n"
           + f"34140101,1/2,นางซ้ำ ทดสอบ,{good},2,30000,,\n"                      # duplicate within the file
           + "34140101,1/3,นายผิด ทดสอบ,1234567890123,2,30000,,\n"                # bad check digit
           + "34140101,1/4,นายลบ ทดสอบ,,2,-500,,\n"                                # negative income
           + "34140101,1/5,,,2,30000,,\n"                                          # head missing
           + "99999999,1/6,นายไกล ทดสอบ,,2,30000,,\n"                              # unknown village
           + "34140201,1/7,นายใต้ ทดสอบ,,2,30000,,\n"                              # outside the area
           + f"34140101,1/8,นายเดิม ทดสอบ,{valid_citizen_id(900)},2,30000,,\n")  # already registered
    response = upload(north, csv.encode())
    assert response.status_code == 422
    page = response.text
    assert "ซ้ำกับแถวที่ 2" in page
    assert "เลขตรวจสอบหลักสุดท้ายไม่ตรง" in page
    assert "ต้องไม่ติดลบ" in page
    assert "จำเป็นต้องกรอก" in page
    assert page.count("ไม่พบรหัสหมู่บ้านนี้") == 2
    assert "ครัวเรือนนี้ลงทะเบียนไว้แล้ว" in page
    assert "ยืนยันและนำเข้า" not in page
    assert count(engine) == before


def test_a_good_file_is_written_only_after_confirming(north, world, engine):
    before = count(engine)
    csv = (HEADER + f"34140101,2/1,นางหนึ่ง ทดสอบ,{valid_citizen_id(11)},3,45000,0812345678,ทำสวน\n"
           + f"34140102,2/2,นางสอง ทดสอบ,{valid_citizen_id(12)},4,\"60,000\",,livestock\n")
    preview = upload(north, csv.encode("utf-8-sig"))
    assert preview.status_code == 200 and "ยืนยันและนำเข้า 2 ครัวเรือน" in preview.text
    assert count(engine) == before  # nothing yet
    confirmed = post_form(north, "/households/import/confirm", {"preview_id": preview_id(preview.text)},
                          follow_redirects=False)
    assert confirmed.status_code in (302, 303)
    assert previews(engine) == []  # used up
    with Session(engine) as db:
        second = db.exec(select(Household).where(Household.house_no == "2/2")).one()
        assert (second.annual_income, second.members, second.interest) == (60_000, 4, "livestock")
        assert db.exec(select(Household).where(Household.house_no == "2/1")).one().interest == "orchard"
    assert count(engine) == before + 2


def test_a_confirmation_that_no_longer_checks_out_writes_nothing(north, world, engine):
    preview = upload(north, good_file(31, 32))
    assert preview.status_code == 200
    with Session(engine) as db:  # someone registers the second household between preview and confirm
        registered = db.get(Household, world.households["h1"])
        registered.citizen_id = valid_citizen_id(32)
        db.add(registered)
        db.commit()
    before = count(engine)
    response = post_form(north, "/households/import/confirm", {"preview_id": preview_id(preview.text)})
    assert response.status_code == 422 and "ครัวเรือนนี้ลงทะเบียนไว้แล้ว" in response.text
    assert "ยืนยันและนำเข้า" not in response.text
    assert count(engine) == before  # all or nothing: the good row is not written either


def test_the_preview_page_and_form_carry_no_full_citizen_id(north, world, engine):
    preview = upload(north, good_file(41, 42))
    assert preview.status_code == 200 and "ยืนยันและนำเข้า 2 ครัวเรือน" in preview.text
    for n in (41, 42):
        assert valid_citizen_id(n) not in preview.text
    assert "rows_json" not in preview.text
    [stored] = previews(engine)
    assert stored.id == preview_id(preview.text) and len(stored.rows) == 2


def test_another_user_cannot_confirm_someone_elses_preview(client, north, world, engine):
    preview = upload(north, good_file(51))
    before = count(engine)
    sign_in(client, "root")  # even an admin, whose area covers the village
    response = post_form(client, "/households/import/confirm", {"preview_id": preview_id(preview.text)})
    assert response.status_code == 422 and "อัปโหลดไฟล์อีกครั้ง" in response.text
    assert count(engine) == before
    assert len(previews(engine)) == 1  # still the owner's to confirm


def test_an_unknown_used_or_expired_preview_is_refused(north, world, engine):
    before = count(engine)
    for tampered in ("", "not-a-preview", "00000000-0000-0000-0000-000000000000"):
        response = post_form(north, "/households/import/confirm", {"preview_id": tampered})
        assert response.status_code == 422 and "อัปโหลดไฟล์อีกครั้ง" in response.text
    old = preview_id(upload(north, good_file(61)).text)
    with Session(engine) as db:
        stored = db.get(ImportPreview, old)
        stored.created_at = stored.created_at - timedelta(hours=2)
        db.add(stored)
        db.commit()
    assert post_form(north, "/households/import/confirm", {"preview_id": old}).status_code == 422
    assert previews(engine) == []  # the expired preview is gone
    used = preview_id(upload(north, good_file(62)).text)
    assert post_form(north, "/households/import/confirm", {"preview_id": used},
                     follow_redirects=False).status_code in (302, 303)
    assert post_form(north, "/households/import/confirm", {"preview_id": used}).status_code == 422
    assert count(engine) == before + 1


def test_a_new_upload_replaces_the_users_earlier_preview(north, world, engine):
    first = preview_id(upload(north, good_file(71)).text)
    second = preview_id(upload(north, good_file(72)).text)
    assert [p.id for p in previews(engine)] == [second]
    assert post_form(north, "/households/import/confirm", {"preview_id": first}).status_code == 422
    upload(north, (HEADER + "34140101,7/3,นายลบ ทดสอบ,,2,-500,,\n").encode())  # a file with errors
    assert previews(engine) == []


def test_an_excel_workbook_is_read_too(north, world, engine):
    book = Workbook()
    sheet = book.active
    sheet.append(["รหัสหมู่บ้าน", "บ้านเลขที่", "ชื่อหัวหน้าครัวเรือน", "เลขประจำตัวประชาชน", "จำนวนสมาชิก", "รายได้ต่อปี"])
    sheet.append([34140101, "9/9", "นายเอ็กซ์เซล ทดสอบ", int(valid_citizen_id(77)), 5, 50000.0])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = upload(north, buffer.getvalue(), "households.xlsx")
    assert preview.status_code == 200, preview.text
    assert "ยืนยันและนำเข้า 1 ครัวเรือน" in preview.text


def test_an_unreadable_file_is_refused_with_a_message(north, world):
    response = upload(north, b"just text", "notes.txt")
    assert response.status_code == 422 and "กรุณาอัปโหลดไฟล์ .csv หรือ .xlsx" in response.text
    missing = upload(north, b"house_no,head_name\n1,x\n")
    assert missing.status_code == 422 and "แถวหัวตารางขาดคอลัมน์" in missing.text


def test_problems_and_columns_are_named_in_the_user_language(north, world, engine):
    page = north.get("/households/import").text
    assert "รหัสหมู่บ้าน <code>village_code</code>" in page
    preview = upload(north, (HEADER + "34140101,1/9,นางผิด ทดสอบ,1234567890123,3,45000,,\n"
                             + "34140101,1/10,,,3,45000,,\n").encode())
    assert "citizen_id:" not in preview.text
    # A message that names its field is shown as it is; one that does not gets the column's name.
    assert "เลขประจำตัวประชาชนไม่ถูกต้อง" in preview.text and "เลขประจำตัวประชาชน: " not in preview.text
    assert "หัวหน้าครัวเรือน: " in preview.text
    missing = upload(north, b"house_no,head_name\n1,x\n")
    assert "รหัสหมู่บ้าน (village_code)" in missing.text
    north.get("/lang/en?next=/")
    english = upload(north, (HEADER + "34140101,1/9,Test Head,1234567890123,3,45000,,\n").encode())
    assert "The citizen ID is not valid" in english.text and "Citizen ID: The citizen ID" not in english.text
