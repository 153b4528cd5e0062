"""Hostile and careless files on the household import: each is read correctly where it is a real list,
or answered with a clear Thai message and a 4xx — never a 500, never a preview kept."""
from __future__ import annotations

import functools
import html

import pytest
from sqlmodel import Session, func, select

from server.core.i18n import translations
from server.models import ImportPreview
from server.program.upload_tables import MAX_CELL_CHARS
from tests.foundation.helpers import csrf_token
from tests.support import hostile_files as hostile


def thai(message: str, **values) -> str:
    return translations("th").gettext(message).format(**values)


@functools.cache
def made(name: str) -> bytes:
    """Each file is made once per run (a bomb takes a few seconds to compress)."""
    return getattr(hostile, name)()


def upload(client, content: bytes, filename: str):
    return client.post("/households/import", files={"file": (filename, content)},
                       data={"_csrf_token": csrf_token(client)})


def previews(engine) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(ImportPreview)).one()


DAMAGED = "The file could not be read as an Excel workbook."
NO_SHEET = "The workbook has no sheet to read."
TOO_LARGE = ("The sheet is too large to import. Keep only the household list in the first sheet and "
             "upload it again.")
ENCODING = ("The CSV file is not in UTF-8, UTF-16 or Thai (TIS-620) encoding. Save it from Excel as "
            "\"CSV UTF-8\" and upload it again.")
LONG_CELL = "A cell holds more than {n} characters. Check the file: it may not be a household list."

REFUSED = [
    ("shared_string_bomb", "x.xlsx", TOO_LARGE, {}),
    ("million_rows", "x.xlsx", "At most {n} rows can be imported at once.", {"n": 2000}),
    ("zip_bomb", "x.xlsx", TOO_LARGE, {}),
    ("lying_sizes", "x.xlsx", DAMAGED, {}),
    ("broken_xml", "x.xlsx", DAMAGED, {}),
    ("missing_sheet", "x.xlsx", NO_SHEET, {}),
    ("missing_workbook", "x.xlsx", NO_SHEET, {}),
    ("entity_expansion", "x.xlsx", DAMAGED, {}),
    ("not_a_zip", "x.xlsx", DAMAGED, {}),
    ("latin1", "x.csv", ENCODING, {}),
    ("huge_csv_field", "x.csv", LONG_CELL, {"n": f"{MAX_CELL_CHARS:,}"}),
]


@pytest.mark.parametrize(("name", "filename", "message", "values"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_hostile_file_is_refused_with_a_clear_thai_message(north, engine, name, filename, message, values):
    response = upload(north, made(name), filename)
    assert response.status_code == 422, response.text[:500]
    assert thai(message, **values) in html.unescape(response.text)
    assert previews(engine) == 0


@pytest.mark.parametrize("name", ["utf16le_without_bom", "tis620", "cr_only"])
def test_a_real_list_in_another_encoding_or_line_end_is_read(north, engine, name):
    response = upload(north, made(name), "households.csv")
    assert response.status_code == 200, response.text[:500]
    assert "นางสาวดี ทดสอบ" in response.text
    assert 'name="preview_id"' in response.text
    with Session(engine) as db:
        [preview] = db.exec(select(ImportPreview)).all()
    expected = 2 if name == "cr_only" else 1
    assert [r["house_no"] for r in preview.rows] == ["7/1", "7/2"][:expected]


def test_a_sheet_declaring_every_cell_of_excel_is_read_by_the_cells_it_has(north):
    response = upload(north, made("dimension_bomb"), "households.xlsx")
    # The far corner's cell is a row of its own (empty in every column imported): shown with its errors.
    assert response.status_code == 422, response.text[:500]
    assert "นางสาวดี ทดสอบ" in response.text
    assert response.text.count('class="has-error"') == 1


def test_an_upload_over_the_size_limit_answers_a_page_in_words(north):
    response = upload(north, b"x" * (6 * 1024 * 1024 + 10), "households.csv")
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "ไฟล์ใหญ่เกินไป" in response.text and "6" in response.text


def test_an_api_body_over_the_size_limit_stays_a_structured_error(client):
    response = client.post("/api/auth/token", content=b"{" + b" " * (6 * 1024 * 1024 + 10) + b"}",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


def test_while_every_reading_slot_is_taken_an_upload_is_told_to_try_again_in_words(north, engine):
    from server.program import upload_tables

    held = [upload_tables.reading_slot() for _ in range(upload_tables.MAX_CONCURRENT)]
    for slot in held:
        slot.__enter__()
    try:
        response = upload(north, made("cr_only"), "households.csv")
    finally:
        for slot in held:
            slot.__exit__(None, None, None)
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert thai("Other files are being read right now. Please try again in a moment.") in response.text
    assert upload(north, made("cr_only"), "households.csv").status_code == 200


def test_reading_stops_at_its_deadline_with_a_message():
    from server.program import upload_tables

    with pytest.raises(upload_tables.TableError) as refused:
        upload_tables.read_table("x.xlsx", made("million_rows"), max_rows=10**7, pick=lambda header: set(header),
                                 seconds=0.0)
    assert str(refused.value) == thai("Reading the file took too long. Split it into smaller files and upload "
                                      "them one at a time.")
