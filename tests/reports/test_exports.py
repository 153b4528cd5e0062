"""Exports read back with csv and openpyxl: Thai headers, BE dates, masked citizen IDs, scope, audit."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlmodel import Session, select

from server.models import AuditEntry
from tests.foundation.helpers import sign_in


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads Thai only with the byte-order mark
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def read_xlsx(response) -> list[dict[str, object]]:
    assert response.status_code == 200, response.text[:500]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    lines = list(sheet.iter_rows(values_only=True))
    return [dict(zip(lines[0], line)) for line in lines[1:]]


def test_households_csv_has_thai_headers_masked_ids_and_only_the_district(client, program):
    sign_in(client, "boss")
    rows = read_csv(client.get("/reports/export/households.csv?year=2570"))
    assert list(rows[0])[:7] == ["รหัสหมู่บ้าน", "หมู่บ้าน", "ตำบล", "อำเภอ", "บ้านเลขที่", "หัวหน้าครัวเรือน",
                                 "เลขประจำตัวประชาชน"]
    names = {r["หัวหน้าครัวเรือน"] for r in rows}
    assert names == {f"นางทดสอบ {x}" for x in "ABCDEF"} | {"นายทดสอบ G", "นายทดสอบ H"}
    assert all(r["รหัสหมู่บ้าน"].startswith("3414") for r in rows)
    a = next(r for r in rows if r["หัวหน้าครัวเรือน"] == "นางทดสอบ A")
    assert a["เลขประจำตัวประชาชน"] == "x-xxxx-xxxxx-01-7"
    assert a["อำเภอ"] == "ม่วงสามสิบ" and a["รายได้ต่อคนต่อปี (บาท)"] == "30000"


def test_an_admin_export_carries_full_citizen_ids_and_is_audited(client, program, engine):
    sign_in(client, "root")
    rows = read_xlsx(client.get("/reports/export/households.xlsx?year=2570&area=3414"))
    a = next(r for r in rows if r["หัวหน้าครัวเรือน"] == "นางทดสอบ A")
    assert a["เลขประจำตัวประชาชน"] == "1000000000017"
    with Session(engine) as db:
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert entry.entity == "households"
    assert entry.detail == {"format": "xlsx", "area": "3414", "year": 2570, "occupation": None,
                            "full_citizen_ids": True}


def test_attendance_has_a_column_per_day_and_no_withdrawn_household(client, program):
    sign_in(client, "boss")
    rows = read_xlsx(client.get("/reports/export/attendance.xlsx?year=2570&area=341401"))
    days = ["วันที่ 1", "วันที่ 2", "วันที่ 3", "วันที่ 4", "วันที่ 5"]
    marks = {r["หัวหน้าครัวเรือน"][-1]: [r[d] for d in days] + [r["จำนวนวันที่มา"]] for r in rows}
    assert marks == {"A": [1, 1, 1, 1, 1, 5], "B": [1, 0, 0, 0, 0, 1], "C": [1, 1, 1, 0, 0, 3],
                     "D": [1, 0, 0, 0, 0, 1], "E": [0, 0, 0, 0, 0, 0]}


def test_surveys_have_be_dates_and_thai_rounds(client, program):
    sign_in(client, "boss")
    rows = read_csv(client.get("/reports/export/surveys.csv?year=2570&occupation=livestock"))
    assert {(r["หัวหน้าครัวเรือน"], r["แบบสำรวจ"], r["วันที่สำรวจ"], r["รายได้ต่อปี (บาท)"],
             r["ประกอบอาชีพที่ฝึก"]) for r in rows} == {
        ("นายทดสอบ G", "สำรวจฐาน", "01/11/2569", "40000", "ไม่ใช่"),
        ("นายทดสอบ G", "หลังอบรม", "01/11/2569", "41000", "ใช่"),
        ("นายทดสอบ H", "สำรวจฐาน", "01/11/2569", "60000", "ไม่ใช่"),
        ("นายทดสอบ H", "หลังอบรม", "01/11/2569", "60000", "ไม่ใช่")}


def test_enrollments_and_the_group_registry(client, program):
    sign_in(client, "boss")
    enrollments = read_csv(client.get("/reports/export/enrollments.csv?year=2570"))
    statuses = {r["หัวหน้าครัวเรือน"][-1]: r["สถานะ"] for r in enrollments}
    assert statuses["F"] == "ถอนตัว" and statuses["A"] == "คัดเลือกแล้ว" and len(statuses) == 8
    groups = read_xlsx(client.get("/reports/export/groups.xlsx?year=2570"))
    assert [(g["ลำดับ"], g["ชื่อกลุ่ม"], g["ประเภท"]) for g in groups] == [(1, "กลุ่มทดสอบ", "ภาคการเกษตร")]
    assert list(groups[0]) == ["ลำดับ", "ชื่อกลุ่ม", "หมู่บ้าน", "ตำบล", "อำเภอ", "วันที่จดทะเบียน", "โทรศัพท์",
                               "ประเภท", "หมายเหตุ"]


def test_indicators_by_village(client, program):
    sign_in(client, "boss")
    rows = read_csv(client.get("/reports/export/indicators.csv?year=2570"))
    by_code = {r["รหัสหมู่บ้าน"]: r for r in rows}
    assert set(by_code) == {"34140101", "34140201"}
    north = by_code["34140101"]
    assert (north["ครัวเรือนที่ผ่านการฝึก"], north["ประกอบอาชีพที่ฝึก"], north["ร้อยละที่ประกอบอาชีพ"]) == ("4", "3", "100.0")
    assert north["หลังอบรม: รายได้เฉลี่ยเปลี่ยนแปลง (ร้อยละ)"] == "22.0"  # A 100k→110k, C 0→12k
    assert north["หลังอบรม: รายได้ฐานเป็นศูนย์"] == "1" and north["กลุ่มอาชีพ"] == "ใช่"


def test_an_unknown_export_or_filter_is_a_message(client, program):
    sign_in(client, "boss")
    for url in ("/reports/export/secrets.csv", "/reports/export/households.pdf",
                "/reports/export/households.csv?area=3415"):
        response = client.get(url)
        assert response.status_code == 400 and 'role="alert"' in response.text
