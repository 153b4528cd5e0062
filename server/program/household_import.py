"""Reading a household list from CSV or XLSX and checking every row before anything is written."""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from server.auth.areas import area_village_ids
from server.core.i18n import LOCALES, current_locale, gettext_, translations
from server.models import User, Village
from server.program.field_checks import normalize_citizen_id
from server.synced.write import problems
from server.program.trades import name_key, trades_by_name
from server.program import upload_tables
from server.reports.export_cells import csv_row, xlsx_row

MAX_ROWS = 2000
# The columns a file may have, in the order the page documents them and the template carries them:
# each with its label (a message id, so also in Thai). A header names a column by its code, its label
# in any language of the app, or one of the other names people use for it below.
COLUMN_LABELS: dict[str, str] = {
    "village_code": "Village code",
    "house_no": "House no.",
    "head_name": "Head of household",
    "citizen_id": "Citizen ID",
    "members": "Members",
    "annual_income": "Household income per year (baht)",
    "phone": "Phone",
    "interest": "Trade the household wants to learn",
    "welfare_card": "State welfare card",
    "note": "Note",
}
OTHER_NAMES: dict[str, tuple[str, ...]] = {
    "village_code": ("village", "รหัสหมู่บ้าน"),
    "house_no": ("house number", "บ้านเลขที่"),
    "head_name": ("head", "ชื่อหัวหน้าครัวเรือน", "หัวหน้าครัวเรือน", "ชื่อ-สกุล"),
    "citizen_id": ("เลขประจำตัวประชาชน", "เลขบัตรประชาชน"),
    "members": ("จำนวนสมาชิก", "สมาชิก"),
    "annual_income": ("income", "income per year", "รายได้ต่อปี", "รายได้ครัวเรือนต่อปี", "รายได้"),
    "phone": ("โทรศัพท์", "เบอร์โทร"),
    "interest": ("อาชีพที่สนใจ", "interest"),
    "welfare_card": ("welfare card", "บัตรสวัสดิการแห่งรัฐ", "บัตรสวัสดิการ", "ถือบัตรสวัสดิการแห่งรัฐ"),
    "note": ("หมายเหตุ",),
}
REQUIRED = ("village_code", "house_no", "head_name", "members", "annual_income")


def header_key(title: str) -> str:
    """A header as it is compared: lower-cased, spaces trimmed and runs of spaces made one."""
    return " ".join(str(title).split()).lower()


def header_names() -> dict[str, str]:
    """Every header the importer knows (compared by `header_key`) and the column it names."""
    names: dict[str, str] = {}
    for name, label in COLUMN_LABELS.items():
        aliases = [name, label, *OTHER_NAMES.get(name, ())]
        aliases += [translations(locale).gettext(label) for locale in LOCALES]
        for alias in aliases:
            names.setdefault(header_key(alias), name)
    return names


# Kept for the code that asks which columns exist (the stored preview rows are filtered by it).
COLUMNS: dict[str, tuple[str, ...]] = {name: (name,) for name in COLUMN_LABELS}


def column_labels() -> dict[str, str]:
    """Each column's name in the user's language, by the header name a file uses (field order)."""
    return {name: gettext_(label) for name, label in COLUMN_LABELS.items()}


class ImportFormatError(ValueError):
    """The file cannot be read as a table (wrong type, no header, too many rows)."""


@dataclass
class ImportRow:
    line: int  # the line in the file (the header is line 1)
    raw: dict[str, str]
    clean: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


@dataclass
class UploadedTable:
    rows: list[dict[str, str]]
    ignored: list[str] = field(default_factory=list)


def read_upload(filename: str, content: bytes, *, names: Mapping[str, str] | None = None,
                required: tuple[str, ...] = REQUIRED) -> UploadedTable:
    """The rows of the first sheet (XLSX) or of the CSV, keyed by column code, and the headers of the
    columns the importer does not know (left out of the rows, and shown as ignored).

    Read within the bounds of `server.program.upload_tables` (size, time, cells, the row limit): a file
    beyond them is an ImportFormatError saying why.

    `names` says which header (as `header_key` reads it) names which key, instead of the import's own
    columns; `required`, the keys the file must have (a district's own list is mapped afterwards)."""
    known = names if names is not None else header_names()
    positions: dict[str, int] = {}
    ignored: list[str] = []

    def pick(header: dict[int, str]) -> set[int]:
        for index in sorted(header):
            title = header[index]
            name = known.get(header_key(title))
            if name is not None and name not in positions:
                positions[name] = index
            elif title.strip():
                ignored.append(title.strip())  # shown in the preview, never dropped unseen
        missing = [f for f in required if f not in positions]
        if missing:  # said before another row is read
            raise ImportFormatError(gettext_("Columns missing from the header row: {columns}").format(
                columns=", ".join(f"{column_labels()[f]} ({f})" for f in missing)))
        return set(positions.values())

    try:
        table = upload_tables.read_table(filename, content, max_rows=MAX_ROWS, pick=pick)
    except upload_tables.TableError as exc:
        raise ImportFormatError(str(exc)) from None
    rows = [{f: row.get(i, "") for f, i in positions.items()} for row in table.rows]
    return UploadedTable(rows=rows, ignored=ignored)


def read_table(filename: str, content: bytes) -> list[dict[str, str]]:
    """Rows of the first sheet (XLSX) or of the CSV, keyed by column code."""
    return read_upload(filename, content).rows


def _as_int(text: str) -> int | str | None:
    cleaned = text.replace(",", "").replace(" ", "")
    if not cleaned:
        return None
    try:
        return int(cleaned)
    except ValueError:
        try:
            number = float(cleaned)
            return int(number) if number.is_integer() else text
        except ValueError:
            return text


# How lists write whether a household holds the state welfare card (compared by `header_key`).
WELFARE_YES = ("1", "y", "yes", "true", "x", "✓", "มี", "ใช่", "ถือ", "ถือบัตร", "มีบัตร", "ได้รับ")
WELFARE_NO = ("0", "n", "no", "false", "-", "ไม่มี", "ไม่ใช่", "ไม่ถือ", "ไม่มีบัตร", "ไม่ได้รับ")


def welfare_card_cell(text: str) -> bool | str | None:
    """A welfare-card cell: True or False, None when blank (not known); other text stays, for the rules
    to refuse with their message."""
    key = header_key(text)
    if not key:
        return None
    if key in WELFARE_YES:
        return True
    if key in WELFARE_NO:
        return False
    return text


def check_rows(db: Session, user: User, rows: list[dict[str, str]]) -> list[ImportRow]:
    """Check every row: the village code (in the user's area), duplicate citizen IDs within the file,
    and the household rules every way in shares (fields, a citizen ID already registered)."""
    locale = current_locale.get()
    ids = area_village_ids(db, user)
    villages = {v.code: v for v in db.exec(select(Village).where(Village.deleted == False))}  # noqa: E712
    trades = trades_by_name(db)
    result: list[ImportRow] = []
    first_line: dict[str, int] = {}
    for index, raw in enumerate(rows, start=2):
        row = ImportRow(line=index, raw={k: str(v or "") for k, v in raw.items()})
        values = row.raw
        village = villages.get(values.get("village_code", "").strip())
        if not values.get("village_code"):
            row.error("village_code", gettext_("This field is required"))
        elif village is None or (ids is not None and village.id not in ids):
            row.error("village_code", gettext_("Unknown village code (or outside your area)."))
        interest_text = values.get("interest", "").strip()
        clean = {
            "house_no": values.get("house_no", "").strip() or None,
            "head_name": values.get("head_name", "").strip() or None,
            "citizen_id": normalize_citizen_id(values.get("citizen_id")),
            "members": _as_int(values.get("members", "")),
            "annual_income": _as_int(values.get("annual_income", "")),
            "phone": values.get("phone", "").strip() or None,
            # A trade's code or name; any other text is refused by the trade rule every way in shares.
            "interest": trades.get(name_key(interest_text), interest_text) or None,
            "welfare_card": welfare_card_cell(values.get("welfare_card", "")),
            "note": values.get("note", "").strip() or None,
        }
        cid = clean["citizen_id"]
        if cid in first_line:
            row.error("citizen_id", gettext_("Duplicate citizen ID: the same as line {line} of this file.")
                      .format(line=first_line[cid]))
        row.clean = {**clean, "village_id": village.id if village else None}
        for error in problems(db, "household", row.clean, record_id=""):
            row.error("village_code" if error.field == "village_id" else error.field, error.message(locale))
        if cid and "citizen_id" not in row.errors:
            first_line[cid] = index
        result.append(row)
    return result


def template_table() -> list[list[str]]:
    """The template's header row (each column's label in the user's language, as the page lists them)
    and one example row."""
    example = {"village_code": "34140101", "house_no": "12/3", "head_name": gettext_("Mrs Sample Example"),
               "citizen_id": "", "members": "4", "annual_income": "60000", "phone": "0812345678",
               "interest": "orchard", "welfare_card": "", "note": ""}
    return [list(column_labels().values()), [example[name] for name in COLUMN_LABELS]]


def template_csv() -> bytes:
    """The template as CSV in UTF-8 with a byte-order mark (so Excel reads the Thai headers)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(csv_row(row) for row in template_table())
    return ("\ufeff" + out.getvalue()).encode()


def template_xlsx() -> bytes:
    """The template as an Excel workbook; every cell is text, so a citizen ID keeps its 13 digits."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "households"
    for row in template_table():
        sheet.append(xlsx_row(sheet, row))
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.number_format = "@"
    for index, label in enumerate(template_table()[0], start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(12, len(label) + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
