"""A district's own household list (a basic-needs survey export, a poverty-map list...) read through a
column mapping: the officer says once which column holds what, the mapping is saved by name for the
district and offered again when a file with the same headers comes; the rows are then converted to the
import's own columns and checked like any import."""
from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from server.core.dates import utc_now
from server.auth.areas import area_village_ids
from server.program.household_import import REQUIRED, header_key, header_names, read_upload
from server.core.i18n import gettext_
from server.models import ImportMapping, Subdistrict, User, UserArea, Village
from server.core.numbers import THAI_DIGITS
from server.program.field_checks import mask_citizen_id
from sync.spec import one_of

SAMPLES = 3  # values shown per column while mapping


def targets() -> dict[str, str]:
    """What a column may hold, in the order the mapping page offers them."""
    return {
        "village_code": gettext_("Village code (8 digits: province, district, subdistrict, village)"),
        "village_number": gettext_("Village number (หมู่ที่)"),
        "subdistrict_name": gettext_("Subdistrict name"),
        "house_no": gettext_("House no."),
        "head_name": gettext_("Head of household"),
        "citizen_id": gettext_("Citizen ID"),
        "members": gettext_("Members"),
        "annual_income": gettext_("Household income per year (baht)"),
        "income_per_person": gettext_("Income per person per year (baht), times the members"),
        "phone": gettext_("Phone"),
        "interest": gettext_("Trade the household wants to learn"),
        "welfare_card": gettext_("State welfare card"),
        "note": gettext_("Note"),
    }


# Headers of the department's lists (basic-needs survey, poverty map) and what they hold, beside the
# names the import already knows (compared by `header_key`).
LIST_HEADERS = {
    "รหัสหมู่บ้าน": "village_code", "รหัสบ้าน": "village_code", "หมู่ที่": "village_number", "หมู่": "village_number",
    "ตำบล": "subdistrict_name", "ชื่อตำบล": "subdistrict_name", "บ้านเลขที่": "house_no",
    "ชื่อหัวหน้าครัวเรือน": "head_name", "ชื่อ-สกุลหัวหน้าครัวเรือน": "head_name", "หัวหน้าครัวเรือน": "head_name",
    "จำนวนสมาชิก": "members", "จำนวนสมาชิกในครัวเรือน": "members", "จำนวนคนในครัวเรือน": "members",
    "รายได้เฉลี่ยต่อคนต่อปี": "income_per_person", "รายได้เฉลี่ย (บาท/คน/ปี)": "income_per_person",
    "รายได้ต่อคนต่อปี": "income_per_person", "income per person": "income_per_person",
    "บัตรสวัสดิการแห่งรัฐ": "welfare_card", "ลงทะเบียนบัตรสวัสดิการแห่งรัฐ": "welfare_card",
    "เลขประจำตัวประชาชน": "citizen_id", "เลขบัตรประชาชน": "citizen_id", "โทรศัพท์": "phone",
}


class _EveryHeader(dict):
    """Names every column of a file by its own header (so that nothing is left out before mapping)."""

    def get(self, key: Any, default: Any = None) -> Any:  # noqa: ANN401
        return key or default


def read_any(filename: str, content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """A file with headers of its own: its headers (as `header_key` reads them, in file order) and its rows
    keyed by them. Raises `ImportFormatError` like the import does for a file it cannot read."""
    table = read_upload(filename, content, names=_EveryHeader(), required=())
    headers = list(table.rows[0]) if table.rows else []
    return headers, table.rows


def needs_mapping(headers: list[str]) -> bool:
    """Whether a file is a list of its own, to be mapped: it lacks a column the import requires and has
    a header the import does not know. (The import's own template with a column missing is answered
    with what is missing, as before.)"""
    known = header_names()
    names = {known[h] for h in headers if h in known}
    return not set(REQUIRED) <= names and any(h not in known for h in headers)


def headers_key(headers: list[str]) -> str:
    """The same headers in any order give the same key."""
    return hashlib.sha256("\n".join(sorted(headers)).encode()).hexdigest()


def samples(headers: list[str], rows: list[dict[str, str]]) -> dict[str, list[str]]:
    """The first few values of each column, so the officer sees what it holds."""
    found: dict[str, list[str]] = {h: [] for h in headers}
    for row in rows:
        for header in headers:
            value = (row.get(header) or "").strip()
            if len(_digits(value)) == 13:  # a citizen ID is shown masked, as in every list
                value = mask_citizen_id(_digits(value))
            if value and len(found[header]) < SAMPLES:
                found[header].append(value[:60])
        if all(len(v) >= SAMPLES for v in found.values()):
            break
    return found


def guess(headers: list[str]) -> dict[str, str]:
    """A first mapping from the names the import and the department's lists use."""
    known = {**{header_key(k): v for k, v in LIST_HEADERS.items()}, **header_names()}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        target = known.get(header)
        if target in targets() and target not in taken:
            mapping[header] = target
            taken.add(target)
    return mapping


def user_district(db: Session, user: User) -> str | None:
    """The district whose saved mappings the user shares: their own, or that of their area."""
    if user.district_code:
        return user.district_code
    area = db.execute(select(UserArea.subdistrict_code, UserArea.village_id)
                      .where(UserArea.user_id == user.id).order_by(UserArea.id)).first()
    if area is None:
        return None
    code = area[0] or db.execute(select(Village.subdistrict_code).where(Village.id == area[1])).scalar()
    return db.execute(select(Subdistrict.district_code).where(Subdistrict.code == code)).scalar()


def saved_mapping(db: Session, district: str | None, headers: list[str]) -> ImportMapping | None:
    """The district's mapping saved for these headers (the latest, if several were)."""
    if district is None:
        return None
    return db.execute(select(ImportMapping).where(ImportMapping.district_code == district,
                                                  ImportMapping.headers_key == headers_key(headers))
                      .order_by(ImportMapping.updated_at.desc(), ImportMapping.id.desc())).scalars().first()


def check_mapping(mapping: dict[str, str]) -> list[str]:
    """What a mapping still lacks, in words (empty when the rows can be read through it)."""
    chosen = [t for t in mapping.values() if t]
    problems = [gettext_("{field} is chosen for more than one column.").format(field=targets()[t])
                for t in sorted(set(chosen)) if chosen.count(t) > 1]
    has = set(chosen)
    for target in ("house_no", "head_name", "members"):
        if target not in has:
            problems.append(gettext_("Choose the column of: {field}").format(field=targets()[target]))
    if not has & {"annual_income", "income_per_person"}:
        problems.append(gettext_("Choose the column of the household's income, per year or per person."))
    if "village_code" not in has and not {"village_number", "subdistrict_name"} <= has:
        problems.append(gettext_("Choose the column of the village code, or those of the village number "
                                 "and the subdistrict name."))
    return problems


def save_mapping(db: Session, *, district: str, name: str, headers: list[str], mapping: dict[str, str],
                 user: User) -> ImportMapping:
    """Keep the mapping under its name for the district (a name used before is replaced)."""
    record = db.execute(select(ImportMapping).where(ImportMapping.district_code == district,
                                                    ImportMapping.name == name)).scalars().first()
    record = record or ImportMapping(district_code=district, name=name)
    record.headers_key = headers_key(headers)
    record.columns = {h: t for h, t in mapping.items() if t}
    record.created_by_user_id = user.id
    record.updated_at = utc_now()
    db.add(record)
    return record


# --- conversions ------------------------------------------------------------------------------------

def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", (text or "").translate(THAI_DIGITS))


def _number(text: str) -> Decimal | None:
    cleaned = (text or "").translate(THAI_DIGITS).replace(",", "").replace(" ", "")
    try:
        return Decimal(cleaned) if cleaned else None
    except InvalidOperation:
        return None


def _subdistrict_key(text: str) -> str:
    """A subdistrict's name as lists write it: with or without 'ตำบล' / 'ต.' in front."""
    key = header_key(text)
    for prefix in ("ตำบล", "ต.", "tambon"):
        if key.startswith(prefix):
            key = key[len(prefix):].strip()
    return key


def _area_villages(db: Session, user: User) -> dict[tuple[str, int], str]:
    """(subdistrict name, village number) → village code, for the villages of the user's area (both
    Thai and English names of the subdistrict)."""
    ids = area_village_ids(db, user)
    query = (select(Village.code, Village.number, Subdistrict.name_th, Subdistrict.name_en)
             .join(Subdistrict, Subdistrict.code == Village.subdistrict_code).where(Village.deleted == False))  # noqa: E712
    if ids is not None:
        query = query.where(one_of(Village.id, ids))
    found: dict[tuple[str, int], str] = {}
    for code, number, name_th, name_en in db.execute(query):
        for name in (name_th, name_en):
            found.setdefault((_subdistrict_key(name), number), code)
    return found


def convert(db: Session, user: User, mapping: dict[str, str], rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows in the import's own columns, for `check_rows` to check like any import:
    - an 8-digit village code as it is (Thai digits and separators dropped); or the village found by its
      number and its subdistrict's name in the user's area;
    - the household's income: as given, or the income per person per year times the members (rounded
      to the baht); a value that cannot be read stays as typed, for the rules to refuse with their words.
    """
    by_target = {target: header for header, target in mapping.items() if target}
    villages = _area_villages(db, user) if "village_code" not in by_target else {}
    out: list[dict[str, str]] = []
    for row in rows:
        def cell(target: str) -> str:
            header = by_target.get(target)
            return (row.get(header) or "").strip() if header else ""

        clean = {name: cell(name) for name in ("house_no", "head_name", "citizen_id", "members", "annual_income",
                                               "phone", "interest", "welfare_card", "note")}
        if "village_code" in by_target:
            code = _digits(cell("village_code"))
            clean["village_code"] = code if len(code) == 8 else cell("village_code")
        else:
            number = _digits(cell("village_number"))
            key = (_subdistrict_key(cell("subdistrict_name")), int(number) if number else -1)
            clean["village_code"] = villages.get(key) or " ".join(
                part for part in (cell("village_number"), cell("subdistrict_name")) if part)
        if "annual_income" not in by_target:
            per_person, members = _number(cell("income_per_person")), _number(cell("members"))
            if per_person is not None and members is not None and members == int(members) and members > 0:
                clean["annual_income"] = str(int((per_person * members).quantize(Decimal(1), rounding="ROUND_HALF_UP")))
            else:
                clean["annual_income"] = cell("income_per_person")
        out.append(clean)
    return out
