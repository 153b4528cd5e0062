"""The rules on households and what hangs on them (enrollments, attendance, surveys) that read other records or today.

The office pages, the import and a phone's push all reach them the same way: through the entity's
`check` in `server.synced.specs` (the push engine calls it for every op; `server.synced.write.save_synced`
for every page, import and seeding write; the forms and the import preview to show problems early).
The wording of every answer lives in `server.program.rules`.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from server.config.values import households_per_village
from server.core.dates import utc_now
from server.program.field_checks import mask_citizen_id
from server.program import field_checks, rules
from server.program.trades import check_trade_codes
from sqlalchemy import func, select

from server.audit.log import audit
from server.core.db import ACTING_USER
from server.models import AuditEntry
from sync.spec import Records

# An answer "this citizen ID is registered" tells a user something about a person anywhere in the
# country: each one is audited, and a user who meets more than this many in an hour gets, for any
# new citizen ID, an answer that says neither yes nor no until the hour has passed.
CITIZEN_ID_HITS_PER_HOUR = 20
CITIZEN_ID_HIT = "citizen_id_registered"  # the audit action of one such answer


def check_household_record(records: Records, values: dict[str, Any], record_id: str) -> list[field_checks.FieldError]:
    """A citizen ID is registered once: no other household that is not deleted holds it. The trade
    the household wants to learn is one of the configured trades (`unknown_reference` otherwise).

    The whole register counts, not only the writer's area: one person heads one household, wherever
    it was registered first. Saving the same household again is no duplicate of itself.

    The answer names no place. For a user (the session's `info[ACTING_USER]`), every duplicate found
    is audited, and past `CITIZEN_ID_HITS_PER_HOUR` a new citizen ID is refused without looking.
    """
    errors = check_trade_codes(records.session, "interest", values.get("interest"))
    citizen_id = values.get("citizen_id")
    if not citizen_id:
        return errors
    stored = records.get("household", record_id) if record_id else None
    if stored is not None and stored.get("citizen_id") == citizen_id:
        return errors  # the household keeps its own ID: nothing is asked of the register
    session = getattr(records, "session", None)  # checks without a database (the rules' cases) have none
    user_id = session.info.get(ACTING_USER) if session is not None else None
    if user_id is not None and _recent_hits(records, user_id) >= CITIZEN_ID_HITS_PER_HOUR:
        return [*errors, rules.citizen_id_checks_limited("citizen_id")]
    for row in records.rows("household", citizen_id=citizen_id):
        if row["id"] != record_id and not row["deleted"]:
            if user_id is not None:
                audit(records.session, action=CITIZEN_ID_HIT, entity="household", user_id=user_id,
                      detail={"citizen_id": mask_citizen_id(citizen_id)})
                records.session.flush()
            return [*errors, rules.duplicate_citizen_id("citizen_id")]
    return errors


def _recent_hits(records: Records, user_id: int) -> int:
    since = utc_now() - dt.timedelta(hours=1)
    return records.session.execute(
        select(func.count()).select_from(AuditEntry)
        .where(AuditEntry.user_id == user_id, AuditEntry.action == CITIZEN_ID_HIT, AuditEntry.at >= since)).scalar_one()


def check_sage_record(records: Records, values: dict[str, Any], record_id: str) -> list[rules.FieldError]:
    """A sage's skills are trade codes of the configuration's list (`unknown_reference` otherwise); what
    the sage teaches beyond it is written in `skills_note`."""
    return check_trade_codes(records.session, "skills", values.get("skills"))


def check_enrollment_record(records: Records, values: dict[str, Any], record_id: str) -> list[field_checks.FieldError]:
    """One enrollment within its training's selection.

    The household lives in the training's village. A selected enrollment keeps the training within
    the configured target (households per village), and carries a written reason when the ranking
    asks for one (`rules.check_enrollment_selection`, the same rule as the selection page's). A
    withdrawn enrollment asks for neither.
    """
    training = records.get("training", values.get("training_id"))
    household = records.get("household", values.get("household_id"))
    if training is None or household is None:
        return []  # an unknown or deleted reference is answered where references are resolved
    if household["village_id"] != training["village_id"]:
        return [rules.enrollment_outside_village("household_id")]
    if values.get("status") != "selected":
        return []
    candidates = {row["id"]: rules.income_per_person(row["annual_income"], row["members"])
                  for row in records.rows("household", village_id=training["village_id"]) if not row["deleted"]}
    selected = {row["household_id"] for row in records.rows("enrollment", training_id=training["id"])
                if row["id"] != record_id and not row["deleted"] and row["status"] == "selected"
                and row["household_id"] in candidates}
    selected.add(household["id"])
    return rules.check_enrollment_selection(
        rules.income_per_person(household["annual_income"], household["members"]),
        left_out=(per_person for household_id, per_person in candidates.items() if household_id not in selected),
        selected=len(selected), reason=values.get("reason"), limit=households_per_village(records.session))


def check_survey_record(records: Records, values: dict[str, Any], record_id: str) -> list[field_checks.FieldError]:
    """A survey records what a household earned: not dated after today (Thai time), nor before the
    start of the fiscal year preceding the household's first training (`rules.check_survey_date`)."""
    surveyed_on = values.get("surveyed_on")
    if isinstance(surveyed_on, str):
        try:
            surveyed_on = dt.date.fromisoformat(surveyed_on)
        except ValueError:
            return []  # the shape check (`rules.check_survey`) answers a malformed date
    if not isinstance(surveyed_on, dt.date):
        return []
    if not values.get("household_id"):  # no household to date it by (answered by the shape check)
        return rules.check_not_future("surveyed_on", surveyed_on)
    return rules.check_survey_date("surveyed_on", surveyed_on,
                                   first_training_year=first_training_year(records, values["household_id"]))


def first_training_year(records: Records, household_id: Any) -> int | None:
    """The fiscal year of the first training a household was enrolled in (withdrawn or not); None if none."""
    years = []
    for enrollment in records.rows("enrollment", household_id=household_id) if household_id else []:
        training = None if enrollment["deleted"] else records.get("training", enrollment["training_id"])
        if training is not None and not training["deleted"]:
            years.append(training["fiscal_year"])
    return min(years, default=None)


def check_attendance_record(records: Records, values: dict[str, Any], record_id: str) -> list[field_checks.FieldError]:
    """Attendance records a day that was held: its training day is not dated after today (Thai time).

    A day with no date yet, or an unknown session (answered where references are resolved), passes.
    """
    session = records.get("session", values.get("session_id"))
    day = session["date"] if session is not None else None
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return rules.check_day_held("session_id", day if isinstance(day, dt.date) else None)


def check_session_record(records: Records, values: dict[str, Any], record_id: str) -> list[field_checks.FieldError]:
    """A training day that already has attendance is not moved to after today: its marks would then
    record a day that has not been held (the rule `check_attendance_record` keeps for new marks)."""
    day = values.get("date")
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    if not isinstance(day, dt.date) or not rules.check_day_held("date", day):
        return []
    if any(not row.get("deleted") for row in records.rows("attendance", session_id=record_id)):
        return [rules.marked_day_moved_ahead("date")]
    return []

