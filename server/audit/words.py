"""The audit log in words: each entry's action, record and changes in the reader's language, with the
changed fields as "field: old → new", instead of the codes and JSON the log stores."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from server.core.dates import format_date
from server.core.i18n import current_locale, gettext_

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def action_words() -> dict[str, str]:
    return {"sign_in": gettext_("signed in"), "sign_in_failed": gettext_("sign-in failed"),
            "sign_out": gettext_("signed out"), "unlock_sign_in": gettext_("unlocked a sign-in"),
            "create": gettext_("added"), "update": gettext_("changed"), "delete": gettext_("deleted"),
            "view": gettext_("viewed"), "export": gettext_("exported"), "import": gettext_("imported"),
            "import_preview": gettext_("previewed an import"), "revoke_device": gettext_("revoked a device"),
            "resolve_conflict": gettext_("resolved a conflict"), "close_task": gettext_("closed a request"),
            "reopen_task": gettext_("reopened a request"), "sign_off": gettext_("signed off a training round"),
            "reopen_round": gettext_("reopened a training round"), "rename_device": gettext_("renamed a device"),
            "citizen_id_registered": gettext_("entered a citizen ID already registered")}


def entity_words() -> dict[str, str]:
    return {"household": gettext_("Household"), "sage": gettext_("Sage"), "training": gettext_("Training"),
            "session": gettext_("Training day"), "enrollment": gettext_("Enrollment"),
            "attendance": gettext_("Attendance"), "survey": gettext_("Survey"), "group": gettext_("Group"),
            "group_member": gettext_("Group member"), "five_k_assessment": gettext_("5 ก assessment"),
            "five_k_element": gettext_("5 ก element"), "team": gettext_("Trainer team"),
            "team_member": gettext_("Team member"), "partner": gettext_("Partner"),
            "partner_support": gettext_("Partner support"), "publicity_meeting": gettext_("Publicity meeting"),
            "poverty_line": gettext_("Poverty line"), "occupation": gettext_("Occupation"),
            "app_setting": gettext_("Settings"), "user": gettext_("User"), "device": gettext_("Device"),
            "village": gettext_("Village"), "review_task": gettext_("Request to fix"), "conflict": gettext_("Conflict"),
            "funding_request": gettext_("Funding request"), "import_mapping": gettext_("Column mapping of a household list")}


def field_words() -> dict[str, str]:
    """Names of the fields and details an entry may carry; one not here is shown by its code."""
    return {"village_id": gettext_("Village"), "house_no": gettext_("House no."),
            "head_name": gettext_("Head of household"), "citizen_id": gettext_("Citizen ID"),
            "members": gettext_("Members"), "annual_income": gettext_("Household income per year (baht)"),
            "phone": gettext_("Phone"), "interest": gettext_("Trade the household wants to learn"),
            "note": gettext_("Note"), "consent": gettext_("Consent"), "name": gettext_("Name"),
            "skills": gettext_("Skills"), "status": gettext_("Status"), "reason": gettext_("Reason"),
            "date": gettext_("Date"), "day": gettext_("Day"), "kind": gettext_("Kind"),
            "occupation": gettext_("Occupation"), "fiscal_year": gettext_("Fiscal year"),
            "title": gettext_("Title"), "present": gettext_("Present"), "surveyed_on": gettext_("Date"),
            "income": gettext_("Income"), "practising": gettext_("Practises the trade"),
            "rows": gettext_("Rows"), "file": gettext_("File"), "villages": gettext_("Villages"),
            "village": gettext_("Village"), "page": gettext_("Page"), "q": gettext_("Search"),
            "list": gettext_("List"), "report": gettext_("Report"), "year": gettext_("Fiscal year"),
            "area": gettext_("Area"), "via": gettext_("Via"), "fields": gettext_("Fields"),
            "changed": gettext_("Fields"), "username": gettext_("Username"), "role": gettext_("Role"),
            "amount": gettext_("Amount"), "from": gettext_("From"), "to": gettext_("To"),
            "score": gettext_("Score"), "group_id": gettext_("Group"), "training": gettext_("Training"),
            "print": gettext_("Print"), "dataset": gettext_("Data"), "format": gettext_("Format"),
            "skills_note": gettext_("Other skills"), "welfare_card": gettext_("State welfare card"),
            "source": gettext_("Funding source"), "amount_asked": gettext_("Amount asked (baht)"),
            "amount_received": gettext_("Amount received (baht)"), "training_id": gettext_("Training"),
            "match": gettext_("Trades wanted and taught"), "mapping": gettext_("Column mapping of a household list"),
            "open": gettext_("Still open"), "conflicts": gettext_("Conflicts"), "tasks": gettext_("Requests to fix"),
            "findings": gettext_("Data-quality findings"), "missing_attendance": gettext_("Attendance not taken"),
            "missing_surveys": gettext_("Surveys not done"), "unchanged": gettext_("Unchanged"),
            "clock_skew": gettext_("Phone's clock wrong"), "moved_from": gettext_("Moved from"),
            "household_id": gettext_("Household"), "session_id": gettext_("Training day"),
            "trade_income_month": gettext_("Income from the trade per month (baht)"),
            "practising_trade": gettext_("Practises the trade"), "record_entity": gettext_("Kind of record"),
            "record_id": gettext_("Record"), "fixed_note": gettext_("Officer's answer"),
            "found_by": gettext_("Found through"), "workshop_date": gettext_("Trainer workshop attended on"),
            "device_name": gettext_("Device name"), "name_before": gettext_("Name before")}


def _via_words() -> dict[str, str]:
    return {"sync": gettext_("a phone"), "api": gettext_("a phone"), "browser": gettext_("the browser"),
            "import": gettext_("the import"), "review": gettext_("review"), "demo": gettext_("demo data")}


@dataclass
class EntryInWords:
    action: str
    record: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (field, old, new)
    details: list[tuple[str, str]] = field(default_factory=list)  # (name, value)


def value_words(value: Any) -> str:
    """A stored value as a person reads it: dates in the Buddhist Era, yes/no, lists joined, blanks as —."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext_("yes") if value else gettext_("no")
    if isinstance(value, str) and _ISO_DATE.fullmatch(value[:10]) and len(value) in (10, 19, 25, 26, 32):
        return format_date(value, current_locale.get())
    if isinstance(value, list):
        return ", ".join(value_words(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {value_words(v)}" for k, v in value.items())
    return str(value)


def in_words(action: str, entity: str | None, detail: dict[str, Any] | None, words: Any = None) -> EntryInWords:
    """An entry in words. `words` (a `server.review.record_words.RecordWords`) reads changed values as a record
    page does: references as names, money in baht, trades by name, citizen IDs masked."""
    detail = dict(detail or {})
    names = field_words()
    entry = EntryInWords(action=action_words().get(action, action),
                         record=entity_words().get(entity, entity or "") if entity else "")
    changes = detail.pop("changes", None)
    if isinstance(changes, dict):
        detail.pop("fields", None)
        for name, pair in changes.items():
            old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            if words is not None and entity:
                entry.changes.append((words.label(entity, name), words.text(entity, name, old),
                                      words.text(entity, name, new)))
            else:
                entry.changes.append((names.get(name, name), value_words(old), value_words(new)))
    if isinstance(detail.get("open"), dict):
        detail["open"] = ", ".join(f"{names.get(k, k)}: {v}" for k, v in detail["open"].items())
    for key in ("fields", "changed", "conflicts", "unchanged"):
        if isinstance(detail.get(key), list):
            detail[key] = [names.get(name, name) for name in detail[key]]
    for key in ("op_id", "seq", "base_seq", "captured_at", "locked_kinds", "signed_off_by"):  # bookkeeping
        detail.pop(key, None)
    if detail.get("via") in _via_words():
        detail["via"] = _via_words()[detail["via"]]
    entry.details = [(names.get(key, key), value_words(value)) for key, value in detail.items()]
    return entry
