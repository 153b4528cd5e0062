"""Any synced record in words: one way to show a household, survey, attendance mark, sage, enrollment
or review task to a person, used by the review, conflict, task, quality, sign-off and audit pages.

Field labels are in the reader's language; references read as names (a village by name and code, a
household by house number and head, a training day by its number and date, a training by its trade,
village and year); trade codes as trade names; money as baht with separators; dates in the Buddhist
Era and times in Thai time; citizen IDs masked for everyone but an administrator. A value this module
does not know how to read is shown as text, never as a field name, an id or an ISO time.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlmodel import Session, select

from server.audit.words import field_words
from server.core.dates import format_date, format_datetime
from server.core.i18n import current_locale, gettext_
from server.models import Household, Occupation, Sage, Training, TrainingSession, User, Village
from server.review.reviewed_records import describe, entity_label, survey_kind_label
from server.program.field_checks import mask_citizen_id

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")

# The fields each entity shows, in the order a person reads them (SYNC.md, Entities).
SHOWN = {
    "household": ("village_id", "house_no", "head_name", "citizen_id", "members", "annual_income", "phone",
                  "consent", "interest", "welfare_card", "note"),
    "sage": ("village_id", "name", "citizen_id", "phone", "skills", "skills_note", "found_by", "workshop_date",
             "note"),
    "enrollment": ("training_id", "household_id", "occupation", "status", "reason"),
    "attendance": ("session_id", "household_id", "present", "note"),
    "survey": ("household_id", "kind", "surveyed_on", "annual_income", "income_unknown", "annual_expenses", "savings",
               "debt", "trade_income_month", "practising_trade", "note"),
    "review_task": ("record_entity", "record_id", "note", "status", "fixed_note"),
}
MONEY = {"annual_income", "trade_income_month", "fund_balance", "amount", "annual_expenses", "savings", "debt",
         "amount_asked", "amount_received"}
TRADES = {"interest", "occupation", "skills"}
REFERENCES = {"village_id": "village", "household_id": "household", "session_id": "session",
              "training_id": "training", "lead_sage_id": "sage"}


def field_label(entity: str, name: str) -> str:
    """A field's name in the reader's language."""
    own = {
        ("survey", "annual_income"): gettext_("Household income per year (baht)"),
        ("survey", "surveyed_on"): gettext_("Survey date"),
        ("survey", "trade_income_month"): gettext_("Income from the trade per month (baht)"),
        ("survey", "practising_trade"): gettext_("Practises the trade"),
        ("survey", "kind"): gettext_("Survey round"),
        ("enrollment", "occupation"): gettext_("Trade"),
        ("enrollment", "status"): gettext_("Selection"),
        ("attendance", "note"): gettext_("Officer's note"),
        ("sage", "found_by"): gettext_("Found through"),
        ("sage", "workshop_date"): gettext_("Trainer workshop attended on"),
        ("review_task", "note"): gettext_("What needs fixing"),
        ("review_task", "fixed_note"): gettext_("Officer's answer"),
    }
    common = {"household_id": gettext_("Household"), "session_id": gettext_("Training day"),
              "training_id": gettext_("Training"), "record_entity": gettext_("Kind of record"),
              "record_id": gettext_("Record"), "_deleted": gettext_("deleting the record"),
              "skills_note": gettext_("Skills in words"), "welfare_card": gettext_("Holds the state welfare card"),
              "income_unknown": gettext_("Income not known"), "annual_expenses": gettext_("Expenses per year"),
              "savings": gettext_("Savings (baht)"), "debt": gettext_("Debt (baht)")}
    return own.get((entity, name)) or common.get(name) or field_words().get(name) or name.replace("_", " ")


def money(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return gettext_("{amount} baht").format(amount=f"{value:,.0f}")


class RecordWords:
    """Reads values for one page: give it the records first (`learn`), then ask for texts (`text`).

    The names behind references are loaded in a few IN queries per page, whatever the number of rows.
    """

    def __init__(self, db: Session, user: User | None) -> None:
        self.db = db
        self.admin = user is not None and user.role == "admin"
        self.names: dict[tuple[str, str], str] = {}
        self._wanted: dict[str, set[str]] = {}
        self._trades: dict[str, str] | None = None

    # --- loading ------------------------------------------------------------------------------

    def learn(self, entity: str, values: dict[str, Any]) -> None:
        """Note the references a record's values hold, to name them in one go."""
        for name, value in values.items():
            target = REFERENCES.get(name)
            if target and isinstance(value, str) and _UUID.fullmatch(value):
                self._wanted.setdefault(target, set()).add(value)
        if entity == "review_task" and isinstance(values.get("record_id"), str):
            self._wanted.setdefault(values.get("record_entity") or "", set()).add(values["record_id"])

    def learn_record(self, entity: str, record_id: str) -> None:
        self._wanted.setdefault(entity, set()).add(record_id)

    def _load(self) -> None:
        wanted, self._wanted = self._wanted, {}
        if not wanted:
            return
        db = self.db
        villages = wanted.pop("village", set())
        sessions = wanted.pop("session", set())
        trainings = wanted.pop("training", set())
        for day in db.exec(select(TrainingSession).where(TrainingSession.id.in_(sessions or {""}))):
            when = format_date(day.date, current_locale.get()) if day.date else gettext_("no date yet")
            trainings.add(day.training_id)
            self.names[("session", day.id)] = gettext_("Day {n} · {date}").format(n=day.day, date=when)
        found_trainings = list(db.exec(select(Training).where(Training.id.in_(trainings or {""}))))
        villages |= {t.village_id for t in found_trainings}
        households = list(db.exec(select(Household).where(Household.id.in_(wanted.pop("household", set()) or {""}))))
        villages |= {h.village_id for h in households}
        sages = list(db.exec(select(Sage).where(Sage.id.in_(wanted.pop("sage", set()) or {""}))))
        village_rows = {v.id: v for v in db.exec(select(Village).where(Village.id.in_(villages or {""})))}
        for village in village_rows.values():
            self.names[("village", village.id)] = f"{village.name} ({village.code})"
        for household in households:
            self.names[("household", household.id)] = gettext_("house no. {no} {head}").format(
                no=household.house_no, head=household.head_name)
        for sage in sages:
            self.names[("sage", sage.id)] = sage.name
        trades = self.trades()
        for training in found_trainings:
            village = village_rows.get(training.village_id)
            self.names[("training", training.id)] = gettext_("{trade} · {village} · fiscal year {year}").format(
                trade=trades.get(training.occupation, training.occupation), village=village.name if village else "",
                year=training.fiscal_year)
        for (entity, record_id), described in describe(db, [(e, i) for e, ids in wanted.items() for i in ids]).items():
            self.names[(entity, record_id)] = described.label + (f" ({described.village})" if described.village else "")

    def trades(self) -> dict[str, str]:
        if self._trades is None:
            thai = current_locale.get() != "en"
            self._trades = {o.code: (o.name_th if thai else o.name_en) or o.code
                            for o in self.db.exec(select(Occupation))}
        return self._trades

    NAMED = ("household", "survey", "attendance", "sage", "enrollment", "training", "session", "village")

    def record_names(self, keys: list[tuple[str | None, str | None]]) -> dict[tuple[str, str], str]:
        """Names of many records at once ((entity, id) pairs; kinds it cannot name are left out)."""
        for entity, record_id in keys:
            if entity in self.NAMED and isinstance(record_id, str) and _UUID.fullmatch(record_id):
                self.learn_record(entity, record_id)
        self._load()
        return {(e, i): self.names[(e, i)] for e, i in keys if (e, i) in self.names}

    def name_of(self, entity: str, record_id: str | None) -> str:
        if not record_id:
            return "—"
        if (entity, record_id) not in self.names:
            self.learn_record(entity, record_id)
            self._load()
        return self.names.get((entity, record_id)) or gettext_("(a record no longer there)")

    # --- reading ------------------------------------------------------------------------------

    def text(self, entity: str, name: str, value: Any, *, record_entity: str | None = None) -> str:
        """One value as a person reads it."""
        if value is None or value == "" or value == []:
            return "—"
        if self._wanted:
            self._load()
        if isinstance(value, bool):
            return gettext_("yes") if value else gettext_("no")
        if name in REFERENCES:
            return self.name_of(REFERENCES[name], value if isinstance(value, str) else None)
        if name == "record_id" and record_entity:
            return self.name_of(record_entity, value)
        if name == "record_entity":
            return entity_label(str(value))
        if name == "citizen_id":
            return str(value) if self.admin else mask_citizen_id(str(value))
        if name in MONEY:
            return money(value)
        if name in TRADES:
            trades = self.trades()
            return ", ".join(trades.get(v, v) for v in value) if isinstance(value, list) else trades.get(value, value)
        if name == "kind" and entity == "survey":
            return survey_kind_label(value)
        if name == "status":
            return status_label(entity, value)
        return plain(value)

    def label(self, entity: str, name: str) -> str:
        return field_label(entity, name)

    def fields(self, entity: str, values: dict[str, Any]) -> list[tuple[str, str]]:
        """Every shown field of a record: (label, value in words)."""
        self.learn(entity, values)
        return [(field_label(entity, name), self.text(entity, name, values.get(name),
                                                      record_entity=values.get("record_entity")))
                for name in SHOWN.get(entity, tuple(values))]


def status_label(entity: str, value: Any) -> str:
    return {"selected": gettext_("selected"), "withdrawn": gettext_("withdrawn"),
            "open": gettext_("waiting for the field"), "fixed": gettext_("fixed, to check"),
            "closed": gettext_("closed")}.get(value, str(value))


def plain(value: Any) -> str:
    """Dates in the Buddhist Era, times in Thai time, lists joined; anything else as text."""
    locale = current_locale.get()
    if isinstance(value, dt.datetime):
        return format_datetime(value, locale)
    if isinstance(value, dt.date):
        return format_date(value, locale)
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:
            return format_datetime(dt.datetime.fromisoformat(value.replace("Z", "+00:00")), locale)
        except ValueError:
            return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return format_date(dt.date.fromisoformat(value), locale)
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(plain(v) for v in value)
    return str(value)
