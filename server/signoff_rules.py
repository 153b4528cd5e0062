"""The lock of a signed-off training round, in one place: a record of the round may not change.

A round's records are the training's enrollments and attendance, and the surveys of its enrolled
households of the kinds that belonged to the round when it was signed off (SYNC.md, Sign-off). The
entity specs (`server.sync_specs`) hand `locked_errors` to the sync engine, which asks it on every
pushed create, edit and delete, and `server.records.save_synced` asks it on every office write (pages,
the import, a conflict's resolution), so no way in can change a locked record.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.i18n import translations
from server.models.signoff import RoundSignoff
from server.rules import FieldError

LOCKED_EN = ("This training round has been signed off by the district: its records can no longer be "
             "changed. Ask the district supervisor to reopen the round if something must be corrected.")


def locked(field: str) -> FieldError:
    """The answer to a change of a locked record (code `locked`, in Thai and English)."""
    return FieldError(field, "locked", translations("th").gettext(LOCKED_EN), LOCKED_EN)


def _signed_off(records: Any, training_ids: set[str]) -> dict[str, list[str]]:
    """{training id: locked survey kinds} of the trainings among `training_ids` that are signed off.

    Kept on the `records` view for the rest of its writer's work (a push's batch, one office save): the
    writer holds the change counter's lock, which a sign-off takes too, so the answer cannot change.
    """
    memo: dict[str, list[str] | None] = records.__dict__.setdefault("_signed_off_rounds", {})
    wanted = sorted(t for t in training_ids if isinstance(t, str) and t not in memo)
    if wanted:
        for training_id in wanted:
            memo[training_id] = None
        for training_id, kinds in records.session.execute(
                select(RoundSignoff.training_id, RoundSignoff.locked_kinds)
                .where(RoundSignoff.training_id.in_(wanted), RoundSignoff.status == "signed_off")):
            memo[training_id] = list(kinds or [])
    return {t: memo[t] for t in training_ids if isinstance(t, str) and memo.get(t) is not None}


def _live(row: dict[str, Any] | None) -> bool:
    return row is not None and not row.get("deleted")


def enrollment_locked(records: Any, values: dict[str, Any], record_id: str) -> list[FieldError]:
    return [locked("training_id")] if _signed_off(records, {values.get("training_id")}) else []


def attendance_locked(records: Any, values: dict[str, Any], record_id: str) -> list[FieldError]:
    day = records.get("session", values.get("session_id"))
    if day is None:
        return []
    return [locked("session_id")] if _signed_off(records, {day["training_id"]}) else []


def survey_locked(records: Any, values: dict[str, Any], record_id: str) -> list[FieldError]:
    household_id, kind = values.get("household_id"), values.get("kind")
    if not isinstance(household_id, str) or not isinstance(kind, str):
        return []
    trainings = {row["training_id"] for row in records.rows("enrollment", household_id=household_id) if _live(row)}
    if any(kind in kinds for kinds in _signed_off(records, trainings).values()):
        return [locked("kind")]
    return []


LOCKS = {"enrollment": enrollment_locked, "attendance": attendance_locked, "survey": survey_locked}
