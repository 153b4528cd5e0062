"""The lock of a signed-off training round, in one place: a record of the round may not change.

A round's records are the training's enrollments and attendance, and the surveys of its enrolled
households of the kinds that belonged to the round when it was signed off (SYNC.md, Sign-off). The
entity specs (`server.synced.specs`) hand `locked_errors` to the sync engine, which asks it on every
pushed create, edit and delete, and `server.synced.write.save_synced` asks it on every office write (pages,
the import, a conflict's resolution), so no way in can change a locked record.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from server.models import Enrollment
from sync.lists import in_list
from server.models.signoff import RoundSignoff
from server.program.field_checks import FieldError, refusal

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
LOCKED_EN = ("This training round has been signed off by the district: its records can no longer be "
             "changed. Ask the district supervisor to reopen the round if something must be corrected.")


def locked(field: str) -> FieldError:
    """The answer to a change of a locked record (code `locked`, in Thai and English)."""
    return refusal(field, "locked", LOCKED_EN)


def _signed_off(records: Any, training_ids: set[str]) -> dict[str, list[str]]:
    """{training id: locked survey kinds} of the trainings among `training_ids` that are signed off.

    Kept on the `records` view for the rest of its writer's work (a push's batch, one office save): the
    writer holds the change counter's lock, which a sign-off takes too, so the answer cannot change.
    """
    memo: dict[str, list[str] | None] = records.__dict__.setdefault("_signed_off_rounds", {})
    training_ids = {t for t in training_ids if isinstance(t, str) and _UUID.fullmatch(t)}
    wanted = sorted(t for t in training_ids if t not in memo)
    if wanted:
        for training_id in wanted:
            memo[training_id] = None
        for training_id, kinds in records.session.execute(_SIGNED_OFF, {"trainings": wanted}):
            memo[training_id] = list(kinds or [])
    return {t: memo[t] for t in training_ids if memo.get(t) is not None}


# Built once: every pushed attendance mark asks.
# On the table's columns: a plain statement skips the ORM's step on every execution.
_SIGNOFF = RoundSignoff.__table__.c
_SIGNED_OFF = (select(_SIGNOFF.training_id, _SIGNOFF.locked_kinds)
               .where(in_list(_SIGNOFF.training_id, "trainings"),
                      _SIGNOFF.status == "signed_off"))


def enrollment_locked(records: Any, values: dict[str, Any], record_id: str) -> list[FieldError]:
    return [locked("training_id")] if _signed_off(records, {values.get("training_id")}) else []


def attendance_locked(records: Any, values: dict[str, Any], record_id: str) -> list[FieldError]:
    session_id = values.get("session_id")
    day = records.get("session", session_id) if isinstance(session_id, str) and _UUID.fullmatch(session_id) else None
    if day is None:
        return []
    return [locked("session_id")] if _signed_off(records, {day["training_id"]}) else []


def _batch_households(records: Any) -> set[str]:
    """The households whose surveys a push's batch touches (none for an office save)."""
    batch = getattr(records, "batch", None)
    if batch is None:
        return set()
    found = [op.fields.get("household_id") for op in batch.ops
             if op.entity == "survey" and isinstance(op.fields, dict)]
    found += [rec.values.get("household_id") for rec in batch.records.get("survey", {}).values()]
    # A pushed value may be anything (a list, a number): only ids go into a query.
    return {h for h in found if isinstance(h, str) and _UUID.fullmatch(h)}


def _locked_survey_kinds(records: Any, household_id: str) -> set[str]:
    """The survey kinds locked for a household by the signed-off rounds it is enrolled in. A push asks
    once for every household of its batch (one query, not one an op)."""
    memo: dict[str, set[str]] = records.__dict__.setdefault("_locked_survey_kinds", {})
    if household_id not in memo:
        wanted = sorted(({household_id} | _batch_households(records)) - memo.keys())
        for household in wanted:
            memo[household] = set()
        for start in range(0, len(wanted), 900):
            for household, kinds in records.session.execute(
                    select(Enrollment.household_id, RoundSignoff.locked_kinds)
                    .join(RoundSignoff, RoundSignoff.training_id == Enrollment.training_id)
                    .where(Enrollment.household_id.in_(wanted[start:start + 900]),
                           Enrollment.deleted == False, RoundSignoff.status == "signed_off")):  # noqa: E712
                memo[household] |= set(kinds or [])
    return memo[household_id]


def survey_locked(records: Any, values: dict[str, Any], record_id: str) -> list[FieldError]:
    household_id, kind = values.get("household_id"), values.get("kind")
    if not isinstance(household_id, str) or not _UUID.fullmatch(household_id) or not isinstance(kind, str):
        return []
    return [locked("kind")] if kind in _locked_survey_kinds(records, household_id) else []


LOCKS = {"enrollment": enrollment_locked, "attendance": attendance_locked, "survey": survey_locked}
