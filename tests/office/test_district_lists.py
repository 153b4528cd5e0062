"""A district's own household list imported through a column mapping: a file shaped like a basic-needs
survey (จปฐ.) export — Thai headers, income per person per year, 8-digit village codes, a welfare-card
column — mapped once, the mapping saved and offered again for the same headers; selection shows the card."""
from __future__ import annotations

import io
import re
from decimal import ROUND_HALF_UP, Decimal

from openpyxl import Workbook
from sqlmodel import Session, select

from server.models import AppSetting, Household, ImportMapping
from server.reports.village_progress import current_fiscal_year
from tests.foundation.helpers import csrf_token, post_form
from tests.office.test_import import preview_id
from tests.support.factories import make_training

HEADERS = ["ลำดับ", "รหัสหมู่บ้าน", "ชื่อหมู่บ้าน", "บ้านเลขที่", "ชื่อ-สกุล หัวหน้าครัวเรือน", "จำนวนสมาชิก (คน)",
           "รายได้เฉลี่ย (บาท/คน/ปี)", "ลงทะเบียนบัตรสวัสดิการแห่งรัฐ", "หมายเหตุ"]
# What each column of the basic-needs export holds, as the officer maps it the first time.
MAPPING = {"รหัสหมู่บ้าน": "village_code", "บ้านเลขที่": "house_no", "ชื่อ-สกุล หัวหน้าครัวเรือน": "head_name",
           "จำนวนสมาชิก (คน)": "members", "รายได้เฉลี่ย (บาท/คน/ปี)": "income_per_person",
           "ลงทะเบียนบัตรสวัสดิการแห่งรัฐ": "welfare_card", "หมายเหตุ": "note"}
CODES = ["34140101", "34-14-01-02", "๓๔๑๔๐๑๐๑"]  # as exports write them: plain, with dashes, Thai digits


def basic_needs_file(first: int, count: int, headers: list[str] = HEADERS) -> tuple[bytes, dict[str, tuple[int, bool]]]:
    """An XLSX export of `count` households and, by house number, the income and welfare card each should get."""
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    expected: dict[str, tuple[int, bool]] = {}
    for n in range(first, first + count):
        members = 1 + n % 5
        per_person = Decimal(18_000 + 1_250 * n) + (Decimal("0.50") if n % 2 else 0)
        card = n % 3 == 0
        house_no = f"{n}/9"
        values = {"ลำดับ": n, "รหัสหมู่บ้าน": CODES[n % 3], "ชื่อหมู่บ้าน": "บ้านทดสอบ", "บ้านเลขที่": house_no,
                  "ชื่อ-สกุล หัวหน้าครัวเรือน": f"นางจปฐ{n} ทดสอบ", "จำนวนสมาชิก (คน)": members,
                  "รายได้เฉลี่ย (บาท/คน/ปี)": f"{per_person:,}", "ลงทะเบียนบัตรสวัสดิการแห่งรัฐ": "มี" if card else "ไม่มี",
                  "หมายเหตุ": ""}
        sheet.append([values[h] for h in headers])
        expected[house_no] = (int((per_person * members).quantize(Decimal(1), rounding=ROUND_HALF_UP)), card)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), expected


def upload(client, content: bytes):
    return client.post("/households/import", files={"file": ("jpt-2569.xlsx", content)},
                       data={"_csrf_token": csrf_token(client)})


def chosen_on_page(page: str) -> dict[str, str]:
    """The mapping form as the page fills it in: column index -> the target selected (if any)."""
    chosen = {}
    for index, select_html in re.findall(r'<select id="c-(\d+)" name="column_\d+">(.*?)</select>', page, re.S):
        found = re.search(r'<option value="([^"]+)" selected>', select_html)
        chosen[f"column_{index}"] = found.group(1) if found else ""
    return chosen


def headers_on_page(page: str) -> list[str]:
    return re.findall(r'<tr data-column="([^"]*)">', page)


def households(engine, house_numbers) -> dict[str, tuple[int, bool]]:
    with Session(engine) as db:
        return {h.house_no: (h.annual_income, h.welfare_card) for h in db.exec(
            select(Household).where(Household.house_no.in_(list(house_numbers))))}


def test_a_basic_needs_export_is_mapped_once_and_the_mapping_is_offered_next_time(north, world, engine):
    content, expected = basic_needs_file(1, 12)
    page = upload(north, content)
    assert page.status_code == 200 and "data-column-mapping" in page.text and "data-saved-mapping" not in page.text
    assert "นางจปฐ1 ทดสอบ" in page.text and "18,000.00" not in page.text  # each column's first values shown
    headers = headers_on_page(page.text)
    assert headers == [" ".join(h.split()).lower() for h in HEADERS]
    form = {f"column_{i}": MAPPING.get(HEADERS[i], "") for i in range(len(HEADERS))}

    # A mapping that leaves out the income is refused, with what is missing; nothing is lost.
    incomplete = post_form(north, "/households/import/map", {
        "preview_id": re.search(r'name="preview_id" value="([^"]+)"', page.text).group(1),
        **{**form, "column_6": ""}, "mapping_name": "จปฐ. 2569"})
    assert incomplete.status_code == 422 and "เลือกคอลัมน์รายได้ของครัวเรือน" in incomplete.text
    checked = post_form(north, "/households/import/map", {
        "preview_id": re.search(r'name="preview_id" value="([^"]+)"', incomplete.text).group(1),
        **form, "mapping_name": "จปฐ. 2569"})
    assert checked.status_code == 200, checked.text
    post_form(north, "/households/import/confirm", {"preview_id": preview_id(checked.text)})
    assert households(engine, expected) == expected

    # The same headers again (in another order): the saved mapping is offered, and taken as it is.
    shuffled = HEADERS[::-1]
    again, expected_again = basic_needs_file(20, 9, shuffled)
    page = upload(north, again)
    assert 'data-saved-mapping="จปฐ. 2569"' in page.text
    offered = chosen_on_page(page.text)
    assert {headers_on_page(page.text)[int(k.split("_")[1])]: v for k, v in offered.items() if v} == {
        " ".join(h.split()).lower(): t for h, t in MAPPING.items()}
    checked = post_form(north, "/households/import/map", {
        "preview_id": re.search(r'name="preview_id" value="([^"]+)"', page.text).group(1), **offered,
        "mapping_name": "จปฐ. 2569"})
    assert checked.status_code == 200, checked.text
    post_form(north, "/households/import/confirm", {"preview_id": preview_id(checked.text)})
    assert households(engine, expected_again) == expected_again
    with Session(engine) as db:
        assert [m.name for m in db.exec(select(ImportMapping))] == ["จปฐ. 2569"]  # one mapping, kept once


def test_a_village_found_by_its_number_and_subdistrict_name(north, world, engine):
    header = "หมู่ที่,ตำบล,บ้านเลขที่,หัวหน้าครัวเรือน,จำนวนสมาชิก,รายได้ต่อคนต่อปี\n"
    body = "2,ต.ม่วงสามสิบ,41/2,นางหมู่สอง ทดสอบ,3,20000\n"
    page = north.post("/households/import", files={"file": ("list.csv", (header + body).encode())},
                      data={"_csrf_token": csrf_token(north)})
    assert page.status_code == 200
    offered = chosen_on_page(page.text)  # every column is named as the department's lists name it
    assert sorted(v for v in offered.values() if v) == sorted(
        ["village_number", "subdistrict_name", "house_no", "head_name", "members", "income_per_person"])
    checked = post_form(north, "/households/import/map", {
        "preview_id": re.search(r'name="preview_id" value="([^"]+)"', page.text).group(1), **offered})
    assert checked.status_code == 200, checked.text
    post_form(north, "/households/import/confirm", {"preview_id": preview_id(checked.text)})
    with Session(engine) as db:
        household = db.exec(select(Household).where(Household.house_no == "41/2")).one()
    assert (household.village_id, household.annual_income) == (world.villages["34140102"], 60_000)


def test_selection_shows_the_welfare_card_and_lists_its_holders_first_when_configured(north, world, engine):
    with Session(engine, expire_on_commit=False) as db:
        db.get(Household, world.households["h6"]).welfare_card = True  # the richest per person
        training = make_training(db, village_id=world.villages["34140101"], fiscal_year=current_fiscal_year(),
                                 commit=False)["training"]
        db.commit()
    page = north.get(f"/trainings/{training.id}/select").text
    assert page.count('data-welfare-card="yes"') == 1 and "data-welfare-first" not in page
    assert page.index(world.households["h1"]) < page.index(world.households["h6"])
    with Session(engine) as db:
        db.merge(AppSetting(key="rank_by_welfare_card", value="1"))
        db.commit()
    page = north.get(f"/trainings/{training.id}/select").text
    assert "data-welfare-first" in page
    assert page.index(world.households["h6"]) < page.index(world.households["h1"])
