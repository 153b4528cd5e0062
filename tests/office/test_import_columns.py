"""Household import headers: every documented column under its Thai label, English label or code; unknown
headers shown as ignored; templates with the exact headers; the citizen ID readable where a row is wrong."""
import io

from openpyxl import Workbook, load_workbook
from sqlmodel import Session, select

from server.models import Household
from tests.foundation.helpers import csrf_token, post_form
from tests.office.test_import import preview_id
from tests.support.factories import valid_citizen_id

THAI = ["รหัสหมู่บ้าน", "บ้านเลขที่", "หัวหน้าครัวเรือน", "เลขประจำตัวประชาชน", "จำนวนสมาชิก",
        "รายได้ครัวเรือนต่อปี (บาท)", "โทรศัพท์", "อาชีพที่ครัวเรือนต้องการเรียนรู้", "บัตรสวัสดิการแห่งรัฐ", "หมายเหตุ"]
ENGLISH = ["Village code", "House no.", "Head of household", "Citizen ID", "Members",
           "Household income per year (baht)", "Phone", "Trade the household wants to learn", "State welfare card", "Note"]
CODES = ["village_code", "house_no", "head_name", "citizen_id", "members", "annual_income", "phone",
         "interest", "welfare_card", "note"]


def upload(client, content: bytes, filename="households.csv"):
    return client.post("/households/import", files={"file": (filename, content)},
                       data={"_csrf_token": csrf_token(client)})


def as_csv(header: list[str], *rows: list[str]) -> bytes:
    return "\n".join(",".join(f'"{c}"' for c in row) for row in [header, *rows]).encode()


def row(n: int) -> list[str]:
    return ["34140101", f"77/{n}", f"นางหัว{n} ทดสอบ", valid_citizen_id(300 + n), "3", "36000", "", "ทำสวน", "", "ทดลอง"]


def imported(engine, house_no: str) -> Household:
    # By the head's name too: the factories number houses "N/1" by a counter of the test process.
    with Session(engine) as db:
        return db.exec(select(Household).where(Household.house_no == house_no,
                                               Household.head_name.like("นางหัว%"))).one()


def test_thai_english_and_code_headers_each_import_every_column(north, engine):
    for n, header in enumerate((THAI, ENGLISH, CODES), start=1):
        preview = upload(north, as_csv(header, row(n)))
        assert preview.status_code == 200, preview.text
        assert "ignored-columns" not in preview.text
        post_form(north, "/households/import/confirm", {"preview_id": preview_id(preview.text)})
        household = imported(engine, f"77/{n}")
        assert (household.annual_income, household.interest, household.note) == (36000, "orchard", "ทดลอง")


def test_a_header_the_importer_does_not_know_is_shown_as_ignored(north):
    preview = upload(north, as_csv(CODES + ["สีบ้าน"], row(1) + ["เขียว"]))
    assert preview.status_code == 200
    assert "คอลัมน์ที่ไม่ได้นำเข้า (ข้ามไป): สีบ้าน" in preview.text


def test_the_templates_carry_the_headers_the_page_documents_and_import_as_they_are(north, engine):
    page = north.get("/households/import").text
    for label, code in zip(THAI, CODES):
        assert f"<li>{label} <code>{code}</code></li>" in page
    csv_template = north.get("/households/import/template.csv")
    assert csv_template.content.decode("utf-8-sig").splitlines()[0] == ",".join(THAI)
    xlsx_template = north.get("/households/import/template.xlsx")
    assert xlsx_template.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx_template.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == THAI

    sheet.append(row(9))
    sheet.delete_rows(2)  # the example row
    out = io.BytesIO()
    sheet.parent.save(out)
    preview = upload(north, out.getvalue(), "filled.xlsx")
    assert preview.status_code == 200 and "ignored-columns" not in preview.text
    post_form(north, "/households/import/confirm", {"preview_id": preview_id(preview.text)})
    assert imported(engine, "77/9").interest == "orchard"


def test_a_wrong_row_shows_its_citizen_id_in_full_and_a_good_row_masked(north):
    good, bad = valid_citizen_id(401), "1234567890123"
    broken = row(1)
    broken[3] = bad
    fine = row(2)
    fine[3] = good
    page = upload(north, as_csv(CODES, broken, fine)).text
    assert bad in page
    assert good not in page and f"x-xxxx-xxxxx-{good[10:12]}-{good[12]}" in page
    # The message names its field once, not "เลขประจำตัวประชาชน: เลขประจำตัวประชาชนไม่ถูกต้อง".
    assert "เลขประจำตัวประชาชน: เลขประจำตัวประชาชน" not in page


def test_an_xlsx_with_english_headers_and_an_extra_column(north, engine):
    book = Workbook()
    book.active.append(ENGLISH + ["Remarks 2"])
    book.active.append(row(5) + ["x"])
    out = io.BytesIO()
    book.save(out)
    preview = upload(north, out.getvalue(), "english.xlsx")
    assert preview.status_code == 200
    assert "Remarks 2" in preview.text
