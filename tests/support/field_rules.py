"""The shared cases of the phone's checks (tests/cases/field_rules.json), answered by server/program/rules.py.

The phone reads its form before checking (pwa/js/rules.js): text is trimmed and blank means "not
given", a number field holding plain digits becomes a number, a citizen ID is normalized (as a push
is, by the household spec's `prepare`). `server_errors` reads the case's values the same way and asks
the server's own rules — the entity's `validate` and `check`, as `server.synced.write.problems` runs them for
a form — for their verdict, with no other record stored than the training day a case names.

Dates relative to today (`{"days_from_today": n}`) are written out with today in Thailand, as the server
(`rules.thai_today`) and the phone (`format.todayIso`) each compute it.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from server.core.dates import thai_today
from server.program.field_checks import FieldError
from server.synced.specs import REGISTRY

CASES_FILE = Path(__file__).resolve().parents[1] / "cases" / "field_rules.json"
FORMS = ("household", "survey", "attendance")
# What the page itself puts beside the form's values (from its URL) unless a case gives it.
PAGE_SUPPLIED = {
    "household": {"village_id": "6a0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"},
    "survey": {"household_id": "0b6f3c9e-7f61-4c35-9d43-2a0f5e7b8c11", "kind": "baseline"},
    "attendance": {"session_id": "5d1e2f30-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
                   "household_id": "0b6f3c9e-7f61-4c35-9d43-2a0f5e7b8c11"},
}
RECORD_ID = "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f"  # the record a form saves
# What a survey page knows of its household unless a case says otherwise (the cases file's `about`).
HOUSEHOLD = {"first_training_year": 2569}
TRAINING_ID = "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b"


def _expand(value: Any, today: dt.date) -> Any:
    if isinstance(value, dict) and set(value) == {"repeat", "times"}:
        return value["repeat"] * value["times"]
    if isinstance(value, dict) and set(value) == {"days_from_today"}:
        return (today + dt.timedelta(days=value["days_from_today"])).isoformat()
    return value


def load_cases() -> dict[str, Any]:
    """The cases file with each `{"repeat", "times"}` and `{"days_from_today"}` value written out."""
    cases = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    today = thai_today()
    for form in FORMS:
        for case in cases[form]:
            case["values"] = {name: _expand(value, today) for name, value in case["values"].items()}
            if "session" in case:
                case["session"] = {name: _expand(value, today) for name, value in case["session"].items()}
            if form == "survey":
                case.setdefault("household", dict(HOUSEHOLD))
    return cases


def _read(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip()
    return text or None


def phone_fields(form: str, values: dict[str, Any]) -> dict[str, Any]:
    """The values as the phone reads its form, with what the page supplies."""
    spec = REGISTRY.entities[form]
    fields: dict[str, Any] = dict(PAGE_SUPPLIED[form])
    for name, raw in values.items():
        value = _read(raw)
        if spec.kinds.get(name) == "int" and isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
            value = int(value)
        fields[name] = value
    return spec.prepare(fields) if spec.prepare else fields


class CaseRecords:
    """The records a case's rules may read (`sync.spec.Records`): only the training day it names, or
    the household's first training (an enrollment in a training of that fiscal year)."""

    session = None

    def __init__(self, form: str, case: dict[str, Any]) -> None:
        self.stored: dict[str, list[dict[str, Any]]] = {}
        if "session" in case:
            day = case["session"].get("date")
            self.stored["session"] = [{"id": PAGE_SUPPLIED[form]["session_id"], "deleted": False,
                                       "date": dt.date.fromisoformat(day) if day else None}]
        year = case.get("household", {}).get("first_training_year")
        if year is not None:
            self.stored["training"] = [{"id": TRAINING_ID, "deleted": False, "fiscal_year": year}]
            self.stored["enrollment"] = [{"id": RECORD_ID, "deleted": False, "training_id": TRAINING_ID,
                                          "household_id": PAGE_SUPPLIED[form]["household_id"]}]

    def rows(self, entity: str, **equal: Any) -> list[dict[str, Any]]:
        return [row for row in self.stored.get(entity, [])
                if all(row.get(name) == value for name, value in equal.items())]

    def get(self, entity: str, record_id: Any) -> dict[str, Any] | None:
        found = self.rows(entity, id=record_id)
        return found[0] if found else None


def server_errors(form: str, case: dict[str, Any]) -> list[FieldError]:
    """The server's rules for the form's entity, first error per field: its validator, then the rules
    that read other records or today on the fields the validator found right (`records.problems`)."""
    spec = REGISTRY.entities[form]
    fields = phone_fields(form, case["values"])
    errors = list(spec.validate(fields))
    if spec.check:
        wrong = {error.field for error in errors}
        sound = {name: value for name, value in fields.items() if name not in wrong}
        errors += spec.check(CaseRecords(form, case), sound, RECORD_ID)
    first: dict[str, FieldError] = {}
    for error in errors:
        first.setdefault(error.field, error)
    return list(first.values())


def server_messages(form: str, case: dict[str, Any], locale: str) -> dict[str, str]:
    return {error.field: error.message(locale) for error in server_errors(form, case)}
