"""What the office pages share: area-scoped look-ups, configuration reads, form parsing, stale edits."""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from sqlmodel import Session, select

from server.auth.scope import area_village_ids
from server.auth.web import NotFoundInArea
from server.dates import DateInputError, parse_date
from server.i18n import current_locale, gettext_
from server.models import (
    AppSetting,
    FiveKElement,
    Occupation,
    OccupationGroup,
    PovertyLine,
    Subdistrict,
    Training,
    User,
    Village,
)
from server.rules import THAI_DIGITS
from server.web import FormState

DEFAULT_HOUSEHOLDS_PER_VILLAGE = 20
DEFAULT_FOLLOW_UP_MONTHS = [3, 6, 12]
# Integer columns are 32-bit on PostgreSQL (and SQLite refuses Python ints past 64 bits): a number
# typed or put in a URL beyond this is never a real value, so it is refused before it reaches a query.
MAX_INT = 2_147_483_647


# --- the user's area ----------------------------------------------------------------------------

def area_villages(db: Session, user: User) -> list[tuple[Village, Subdistrict]]:
    """Villages the user may see, with their subdistricts, in geocode order."""
    ids = area_village_ids(db, user)
    query = (select(Village, Subdistrict).join(Subdistrict, Subdistrict.code == Village.subdistrict_code)
             .where(Village.deleted == False).order_by(Village.code))  # noqa: E712
    if ids is not None:
        if not ids:
            return []
        query = query.where(Village.id.in_(ids))
    return list(db.exec(query).all())


def village_options(villages: list[tuple[Village, Subdistrict]]) -> list[tuple[str, str]]:
    """(id, label) pairs for a village <select>: name, village number and subdistrict."""
    english = current_locale.get() == "en"
    return [(v.id, f"{v.name} ({gettext_('no. {n}').format(n=v.number)}, "
                   f"{s.name_en if english else s.name_th})") for v, s in villages]


def area_subdistricts(db: Session, user: User) -> list[Subdistrict]:
    seen: dict[str, Subdistrict] = {}
    for _village, subdistrict in area_villages(db, user):
        seen.setdefault(subdistrict.code, subdistrict)
    return list(seen.values())


def area_district_codes(db: Session, user: User) -> set[str] | None:
    """Districts the user works in (partners and publicity are district-wide); None for admins."""
    if user.role == "admin":
        return None
    codes = {s.district_code for s in area_subdistricts(db, user)}
    if user.district_code:
        codes.add(user.district_code)
    return codes


def village_in_area(db: Session, user: User, village_id: str | None) -> Village:
    """The village, or NotFoundInArea when it does not exist or lies outside the user's area."""
    village = db.get(Village, village_id) if village_id else None
    if village is None or village.deleted:
        raise NotFoundInArea()
    ids = area_village_ids(db, user)
    if ids is not None and village.id not in ids:
        raise NotFoundInArea()
    return village


def row_by_id(db: Session, model: Any, record_id: int) -> Any:
    """The row with this integer key, or None, also for an id no column can hold (a crafted URL)."""
    if not 0 < record_id <= MAX_INT:
        return None
    return db.get(model, record_id)


def record_in_area(db: Session, user: User, model: Any, record_id: str | int) -> Any:
    """A record carrying `village_id`, answered 404 when missing, deleted or outside the area."""
    record = db.get(model, record_id)
    if record is None or getattr(record, "deleted", False):
        raise NotFoundInArea()
    village_in_area(db, user, record.village_id)
    return record


def training_in_area(db: Session, user: User, training_id: str) -> Training:
    return record_in_area(db, user, Training, training_id)


def group_in_area(db: Session, user: User, group_id: str) -> OccupationGroup:
    return record_in_area(db, user, OccupationGroup, group_id)


# --- configuration ------------------------------------------------------------------------------

def setting(db: Session, key: str, default: str) -> str:
    row = db.get(AppSetting, key)
    return row.value if row is not None else default


def households_per_village(db: Session) -> int:
    try:
        return max(1, int(setting(db, "households_per_village", str(DEFAULT_HOUSEHOLDS_PER_VILLAGE))))
    except ValueError:
        return DEFAULT_HOUSEHOLDS_PER_VILLAGE


def rank_by_welfare_card(db: Session) -> bool:
    """Whether target selection lists holders of the state welfare card first (the configuration says)."""
    return setting(db, "rank_by_welfare_card", "0") == "1"


def follow_up_months(db: Session) -> list[int]:
    try:
        value = json.loads(setting(db, "follow_up_months", json.dumps(DEFAULT_FOLLOW_UP_MONTHS)))
        return [int(m) for m in value]
    except (ValueError, TypeError):
        return list(DEFAULT_FOLLOW_UP_MONTHS)


def poverty_line(db: Session, fiscal_year: int) -> int | None:
    """The จปฐ. income criterion (baht per person per year) of the plan period covering the year."""
    row = db.exec(select(PovertyLine).where(PovertyLine.from_year <= fiscal_year,
                                            PovertyLine.to_year >= fiscal_year)
                  .order_by(PovertyLine.from_year.desc())).first()
    return row.amount if row is not None else None


def occupations(db: Session, kind: str = "trade", *, active_only: bool = True) -> list[Occupation]:
    query = select(Occupation).where(Occupation.kind == kind).order_by(Occupation.sort_order, Occupation.code)
    if active_only:
        query = query.where(Occupation.active == True)  # noqa: E712
    return list(db.exec(query).all())


def occupation_names(db: Session, *, kind: str | None = None, active_only: bool = False) -> dict[str, str]:
    """code → name in the user's language (every occupation and group category unless `kind`)."""
    english = current_locale.get() == "en"
    query = select(Occupation).order_by(Occupation.sort_order, Occupation.code)
    if kind:
        query = query.where(Occupation.kind == kind)
    if active_only:
        query = query.where(Occupation.active == True)  # noqa: E712
    return {o.code: (o.name_en if english else o.name_th) for o in db.exec(query)}


def five_k_elements(db: Session) -> list[FiveKElement]:
    return list(db.exec(select(FiveKElement).order_by(FiveKElement.sort_order, FiveKElement.code)).all())


# --- forms --------------------------------------------------------------------------------------

def text_value(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _digits(raw: str) -> str:
    return raw.replace(",", "").replace(" ", "").translate(THAI_DIGITS)


def parse_int(raw: str | None) -> int | None:
    """A whole number in ASCII or Thai digits (commas and spaces allowed) that a column can hold; else None."""
    if raw is None:
        return None
    cleaned = _digits(raw)
    if not re.fullmatch(r"[+-]?[0-9]{1,10}", cleaned):  # str.isdigit() would let "²" through to int()
        return None
    value = int(cleaned)
    return value if -MAX_INT <= value <= MAX_INT else None


def int_value(form: FormState, data: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    """A whole number typed by a person (commas allowed); a message on the field when it is not."""
    raw = text_value(data, name)
    if raw is None:
        if required:
            form.error(name, gettext_("This field is required"))
        return None
    value = parse_int(raw)
    if value is None:
        if re.fullmatch(r"[+-]?[0-9]+", _digits(raw)):
            form.error(name, gettext_("This number is too large."))
        else:
            form.error(name, gettext_("Type a whole number, e.g. 36000"))
    return value


def date_value(form: FormState, data: dict[str, Any], name: str, *, required: bool = False):  # noqa: ANN201
    """A date typed as 24/11/2569 (BE) or picked from a date input; a message when it is not."""
    raw = text_value(data, name)
    if raw is None:
        if required:
            form.error(name, gettext_("This field is required"))
        return None
    try:
        return parse_date(raw)
    except DateInputError:
        form.error(name, gettext_("Not a valid date: type day/month/year in the Buddhist Era, e.g. 24/11/2569"))
        return None


def is_stale(data: dict[str, Any], record: Any) -> bool:
    """True when the record changed after the form was loaded (its `seq` moved on)."""
    raw = text_value(data, "seq")
    try:
        return raw is not None and int(raw) != record.seq
    except ValueError:
        return True


def form_seq(data: dict[str, Any]) -> int | None:
    """The seq a record had when its form was loaded (None: the form carries none). A garbled one is
    -1, which no record has, so the save is refused as stale, as `is_stale` answers it."""
    raw = text_value(data, "seq")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1


def stale_notice() -> str:
    return gettext_("Someone else saved this record after you opened the form. Nothing was saved: "
                     "the current values are shown below — review them and save again.")




def typed_differences(fields: Iterable[str], typed: dict[str, Any], saved: dict[str, Any], labels: dict[str, str],
                      shown: Callable[[str, Any], str] | None = None) -> list[tuple[str, str, str]]:
    """(label, typed, saved now) for each field where a refused stale save differs from the record, so the
    form can show the current values while nothing the user typed is lost. `shown` turns a value (typed
    text or saved value) into what a person reads, so that equal values compare equal."""
    def as_text(name: str, value: Any) -> str:
        if shown is not None:
            return shown(name, value)
        return "" if value is None else str(value).strip()

    rows = []
    for name in fields:
        mine, theirs = as_text(name, typed.get(name)), as_text(name, saved.get(name))
        if mine != theirs:
            rows.append((labels.get(name, name), mine, theirs))
    return rows
