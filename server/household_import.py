"""Reading a household list from CSV or XLSX and checking every row before anything is written."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from server.auth.scope import area_village_ids
from server.i18n import current_locale, gettext_
from server.models import Household, Occupation, User, Village
from server.rules import check_household, normalize_citizen_id

MAX_ROWS = 2000
# Column headers accepted for each field (compared lower-cased, spaces trimmed): English or Thai.
COLUMNS: dict[str, tuple[str, ...]] = {
    "village_code": ("village_code", "village", "รหัสหมู่บ้าน"),
    "house_no": ("house_no", "house number", "บ้านเลขที่"),
    "head_name": ("head_name", "head", "ชื่อหัวหน้าครัวเรือน", "หัวหน้าครัวเรือน", "ชื่อ-สกุล"),
    "citizen_id": ("citizen_id", "เลขประจำตัวประชาชน", "เลขบัตรประชาชน"),
    "members": ("members", "จำนวนสมาชิก", "สมาชิก"),
    "annual_income": ("annual_income", "income", "รายได้ต่อปี", "รายได้ครัวเรือนต่อปี", "รายได้"),
    "phone": ("phone", "โทรศัพท์", "เบอร์โทร"),
    "interest": ("interest", "อาชีพที่สนใจ"),
    "note": ("note", "หมายเหตุ"),
}
REQUIRED = ("village_code", "house_no", "head_name", "members", "annual_income")


def column_labels() -> dict[str, str]:
    """Each column's name in the user's language, by the header name a file uses (field order)."""
    return {"village_code": gettext_("Village code"), "house_no": gettext_("House no."),
            "head_name": gettext_("Head of household"), "citizen_id": gettext_("Citizen ID"),
            "members": gettext_("Members"), "annual_income": gettext_("Household income per year (baht)"),
            "phone": gettext_("Phone"), "interest": gettext_("Trade the household wants to learn"),
            "note": gettext_("Note")}


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


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(filename: str, content: bytes) -> list[dict[str, str]]:
    """Rows of the first sheet (XLSX) or of the CSV, keyed by field name; unknown columns dropped."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise ImportFormatError(gettext_("The file could not be read as an Excel workbook.")) from exc
        table = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    elif name.endswith(".csv"):
        for encoding in ("utf-8-sig", "cp874"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportFormatError(gettext_("The CSV file is not in UTF-8 or Thai (TIS-620) encoding."))
        table = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise ImportFormatError(gettext_("Upload a .csv or .xlsx file."))
    table = [row for row in table if any(row)]
    if not table:
        raise ImportFormatError(gettext_("The file is empty."))
    header = [h.strip().lower() for h in table[0]]
    positions: dict[str, int] = {}
    for field_name, aliases in COLUMNS.items():
        for index, title in enumerate(header):
            if title in aliases:
                positions[field_name] = index
                break
    missing = [f for f in REQUIRED if f not in positions]
    if missing:
        raise ImportFormatError(gettext_("Columns missing from the header row: {columns}").format(
            columns=", ".join(f"{column_labels()[f]} ({f})" for f in missing)))
    if len(table) - 1 > MAX_ROWS:
        raise ImportFormatError(gettext_("At most {n} rows can be imported at once.").format(n=MAX_ROWS))
    return [{f: (row[i] if i < len(row) else "") for f, i in positions.items()} for row in table[1:]]


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


def check_rows(db: Session, user: User, rows: list[dict[str, str]]) -> list[ImportRow]:
    """Check every row: field rules, the village code (in the user's area), duplicate citizen IDs
    within the file and against households already registered."""
    locale = current_locale.get()
    ids = area_village_ids(db, user)
    villages = {v.code: v for v in db.exec(select(Village).where(Village.deleted == False))}  # noqa: E712
    trades: dict[str, str] = {}
    for occupation in db.exec(select(Occupation).where(Occupation.kind == "trade")):
        for label in (occupation.code, occupation.name_th, occupation.name_en):
            trades[label.strip().lower()] = occupation.code
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
            "interest": trades.get(interest_text.lower(), interest_text) or None,
            "note": values.get("note", "").strip() or None,
        }
        for error in check_household(clean):
            row.error(error.field, error.message(locale))
        cid = clean["citizen_id"]
        if cid and "citizen_id" not in row.errors:
            if cid in first_line:
                row.error("citizen_id", gettext_("Duplicate citizen ID: the same as line {line} of this file.")
                          .format(line=first_line[cid]))
            else:
                first_line[cid] = index
        row.clean = {**clean, "village_id": village.id if village else None}
        result.append(row)
    cids = [cid for cid in first_line]
    if cids:
        existing = set(db.exec(select(Household.citizen_id).where(Household.citizen_id.in_(cids),
                                                                   Household.deleted == False)))  # noqa: E712
        for row in result:
            if row.clean.get("citizen_id") in existing and "citizen_id" not in row.errors:
                row.error("citizen_id", gettext_("Duplicate citizen ID: this household is already registered."))
    return result
