"""The shared cases of the phone's checks (tests/cases/field_rules.json), answered by server/rules.py.

The phone reads its form before checking (pwa/js/rules.js): text is trimmed and blank means "not
given", a number field holding plain digits becomes a number, a citizen ID is normalized (as a push
is, by the household spec's `prepare`). `server_answer` reads the case's values the same way and asks
the server's own validators — the ones a push runs — for their verdict.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from server.rules import FieldError
from server.sync_specs import REGISTRY

CASES_FILE = Path(__file__).resolve().parents[1] / "cases" / "field_rules.json"
FORMS = ("household", "survey")
# What the page itself puts beside the form's values (from its URL) unless a case gives it.
PAGE_SUPPLIED = {
    "household": {"village_id": "6a0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"},
    "survey": {"household_id": "0b6f3c9e-7f61-4c35-9d43-2a0f5e7b8c11", "kind": "baseline"},
}


def _expand(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"repeat", "times"}:
        return value["repeat"] * value["times"]
    return value


def load_cases() -> dict[str, Any]:
    """The cases file with each `{"repeat", "times"}` value written out."""
    cases = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    for form in FORMS:
        for case in cases[form]:
            case["values"] = {name: _expand(value) for name, value in case["values"].items()}
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


def server_errors(form: str, values: dict[str, Any]) -> list[FieldError]:
    """The server's validator for the form's entity (what a push runs), first error per field."""
    first: dict[str, FieldError] = {}
    for error in REGISTRY.entities[form].validate(phone_fields(form, values)):
        first.setdefault(error.field, error)
    return list(first.values())


def server_messages(form: str, values: dict[str, Any], locale: str) -> dict[str, str]:
    return {error.field: error.message(locale) for error in server_errors(form, values)}
