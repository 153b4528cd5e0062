"""Data-quality rules: each a function listing what looks wrong in an area, with the record to act on.

Every rule takes (db, area, today) — `area` the village ids the user sees (None: everywhere) — and
returns `Finding`s, a few queries each. `RULES` names them in the order the quality page shows them.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, func, or_
from sqlmodel import Session, select

from server.config.values import follow_up_months, households_per_village
from server.core.i18n import gettext_
from server.models import (
    Attendance,
    AuditEntry,
    Device,
    Enrollment,
    Household,
    Survey,
    Training,
    TrainingSession,
    User,
    UserArea,
    Village,
)
from server.program.rules import income_per_person, passes_over_poorer, poorest_left_out
from server.review.names import normalize_name
from server.program.rules import complete_survey
from server.program.rules import (
    check_survey_date,
    survey_complete,
    survey_earliest,
)

INCOME_JUMP = 5  # a later survey's income more than this many times an earlier one's
MOST_MEMBERS = 20
PHONE_QUIET_DAYS = 7
SKEW_LOOKBACK_DAYS = 30

Area = set[str] | None


@dataclass
class Finding:
    """One thing to look at: a record (entity and id, None for a phone or a training day) and the facts."""

    entity: str | None
    record_id: str
    facts: dict[str, Any] = field(default_factory=dict)
    group: str | None = None  # findings about the same duplicate share a group (merging acts on it)


def _in_area(column, area: Area) -> list[Any]:
    return [] if area is None else [column.in_(area or {""})]


def _households(db: Session, area: Area, *extra: Any) -> list[Household]:
    return list(db.exec(select(Household).where(Household.deleted == False,  # noqa: E712
                                                *_in_area(Household.village_id, area), *extra)
                        .order_by(Household.village_id, Household.house_sort, Household.id)).all())


def _grouped(households: list[Household], key: Callable[[Household], Any], kind: str) -> list[Finding]:
    groups: dict[Any, list[Household]] = defaultdict(list)
    for household in households:
        value = key(household)
        if value:
            groups[value].append(household)
    found = []
    for value, members in groups.items():
        if len(members) > 1:
            group = f"{kind}:{members[0].id}"
            found += [Finding("household", h.id, {"house_no": h.house_no, "head_name": h.head_name,
                                                  "others": [o.id for o in members if o.id != h.id]}, group)
                      for h in members]
    return found


# --- possible duplicate households -------------------------------------------------------------

def duplicate_citizen_ids(db: Session, area: Area, today: dt.date) -> list[Finding]:
    """Households of the area sharing a citizen ID (with any household of the database)."""
    shared = select(Household.citizen_id).where(Household.deleted == False, Household.citizen_id.is_not(None))  # noqa: E712
    shared = shared.group_by(Household.citizen_id).having(func.count() > 1)
    return _grouped(_households(db, area, Household.citizen_id.in_(shared)), lambda h: h.citizen_id, "cid")


def duplicate_house_numbers(db: Session, area: Area, today: dt.date) -> list[Finding]:
    """Two households on one house number of one village (spacing aside)."""
    return _grouped(_households(db, area), lambda h: (h.village_id, "".join((h.house_no or "").split())), "house")


def similar_head_names(db: Session, area: Area, today: dt.date) -> list[Finding]:
    """Two households of one village whose heads' names are the same but for titles, tone marks or spaces."""
    return _grouped(_households(db, area), lambda h: (h.village_id, normalize_name(h.head_name)) if
                    normalize_name(h.head_name) else None, "name")


# --- selection -----------------------------------------------------------------------------------

def _trainings(db: Session, area: Area) -> list[Training]:
    return list(db.exec(select(Training).where(Training.deleted == False,  # noqa: E712
                                               *_in_area(Training.village_id, area))).all())


def richer_selected_without_reason(db: Session, area: Area, today: dt.date) -> list[Finding]:
    """A selected household earning more per person than one left out, with no reason written."""
    found = []
    for training in _trainings(db, area):
        candidates = _households(db, {training.village_id})
        selected = {e.household_id: e for e in db.exec(select(Enrollment).where(
            Enrollment.training_id == training.id, Enrollment.status == "selected",
            Enrollment.deleted == False))}  # noqa: E712
        poorest = poorest_left_out(income_per_person(h.annual_income, h.members)
                                   for h in candidates if h.id not in selected)
        for household in candidates:
            enrollment = selected.get(household.id)
            per_person = income_per_person(household.annual_income, household.members)
            if enrollment and passes_over_poorer(per_person, poorest) and not (enrollment.reason or "").strip():
                found.append(Finding("enrollment", enrollment.id, {"per_person": per_person, "poorest": poorest}))
    return found


def selected_beyond_target(db: Session, area: Area, today: dt.date) -> list[Finding]:
    """Trainings with more households selected than the target per village."""
    limit = households_per_village(db)
    rows = db.exec(select(Training.id, func.count(Enrollment.id)).join(Enrollment, Enrollment.training_id == Training.id)
                   .where(Training.deleted == False, Enrollment.deleted == False,  # noqa: E712
                          Enrollment.status == "selected", *_in_area(Training.village_id, area))
                   .group_by(Training.id).having(func.count(Enrollment.id) > limit)).all()
    return [Finding(None, training_id, {"selected": count, "limit": limit, "training_id": training_id})
            for training_id, count in rows]


# --- training days and surveys -----------------------------------------------------------------

def sessions_without_attendance(db: Session, area: Area, today: dt.date) -> list[Finding]:
    """Training days whose date has passed with no attendance taken."""
    taken = select(Attendance.session_id).where(Attendance.deleted == False)  # noqa: E712
    rows = db.exec(select(TrainingSession, Training).join(Training, Training.id == TrainingSession.training_id)
                   .where(TrainingSession.deleted == False, TrainingSession.date < today,  # noqa: E712
                          TrainingSession.id.not_in(taken), *_in_area(Training.village_id, area))
                   .order_by(TrainingSession.date)).all()
    return [Finding(None, s.id, {"training_id": t.id, "day": s.day, "date": s.date}) for s, t in rows]


def _enrolled(db: Session, area: Area) -> list[tuple[Household, Training]]:
    return list(db.exec(select(Household, Training).join(Enrollment, Enrollment.household_id == Household.id)
                        .join(Training, Training.id == Enrollment.training_id)
                        .where(Enrollment.status == "selected", Enrollment.deleted == False,  # noqa: E712
                               Household.deleted == False, *_in_area(Household.village_id, area))).all())


def _survey_kinds(db: Session, household_ids: set[str]) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = defaultdict(set)
    if household_ids:
        for household_id, kind in db.exec(select(Survey.household_id, Survey.kind).where(
                Survey.household_id.in_(household_ids), Survey.deleted == False)):  # noqa: E712
            kinds[household_id].add(kind)
    return kinds


def missing_baseline(db: Session, area: Area, today: dt.date) -> list[Finding]:
    """Selected households with no baseline survey."""
    enrolled = _enrolled(db, area)
    kinds = _survey_kinds(db, {h.id for h, _t in enrolled})
    seen: set[str] = set()
    found = []
    for household, _training in enrolled:
        if "baseline" not in kinds[household.id] and household.id not in seen:
            seen.add(household.id)
            found.append(Finding("household", household.id, {"house_no": household.house_no,
                                                             "head_name": household.head_name}))
    return found


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def overdue_follow_ups(db: Session, area: Area, today: dt.date) -> list[Finding]:
    """Follow-up surveys due (months after the training's last day, as configured) and not done."""
    enrolled = _enrolled(db, area)
    kinds = _survey_kinds(db, {h.id for h, _t in enrolled})
    last_days = dict(db.exec(select(TrainingSession.training_id, func.max(TrainingSession.date))
                             .where(TrainingSession.training_id.in_({t.id for _h, t in enrolled}))
                             .group_by(TrainingSession.training_id)).all()) if enrolled else {}
    found = []
    for household, training in enrolled:
        last = last_days.get(training.id)
        if last is None:
            continue
        for months in follow_up_months(db):
            kind = f"follow_up_{months}m"
            due = _add_months(last, months)
            if due < today and kind not in kinds[household.id]:
                found.append(Finding("household", household.id, {"house_no": household.house_no,
                                                                 "head_name": household.head_name,
                                                                 "kind": kind, "due": due}))
    return found


def incomplete_surveys(db: Session, area: Area, today: dt.date) -> list[Finding]:
    """Surveys stored before the survey rule, or by an old phone, that do not count: no date, no income
    (nor "not known"), or a date after today or before the fiscal year preceding the household's first
    training (`server.program.rules.check_survey_date`)."""
    lenient = survey_earliest(None, today=today)  # the latest lower bound a household can have today
    rows = db.exec(select(Survey).join(Household, Household.id == Survey.household_id)
                   .where(Survey.deleted == False, Household.deleted == False,  # noqa: E712
                          *_in_area(Household.village_id, area),
                          or_(~complete_survey(), Survey.surveyed_on > today, Survey.surveyed_on < lenient))
                   .order_by(Household.village_id, Household.house_sort, Survey.kind)).all()
    first_years = dict(db.exec(select(Enrollment.household_id, func.min(Training.fiscal_year))
                               .join(Training, Training.id == Enrollment.training_id)
                               .where(Enrollment.household_id.in_({s.household_id for s in rows}),
                                      Enrollment.deleted == False, Training.deleted == False)  # noqa: E712
                               .group_by(Enrollment.household_id)).all()) if rows else {}
    found = []
    for survey in rows:
        if survey.surveyed_on is None:
            problem = "no_date"
        elif not survey_complete(survey.kind, survey.surveyed_on, survey.annual_income, survey.income_unknown):
            problem = "no_income"
        elif check_survey_date("surveyed_on", survey.surveyed_on, today=today,
                               first_training_year=first_years.get(survey.household_id)):
            problem = "date_out_of_range"
        else:
            continue
        found.append(Finding("survey", survey.id, {"survey_problem": problem, "surveyed_on": survey.surveyed_on}))
    return found


# --- implausible numbers -----------------------------------------------------------------------

def implausible_numbers(db: Session, area: Area, today: dt.date) -> list[Finding]:
    """Income up more than 5× from one survey to the next; more than 20 members in a household."""
    found = [Finding("household", h.id, {"members": h.members, "head_name": h.head_name})
             for h in _households(db, area, Household.members > MOST_MEMBERS)]
    surveys = db.exec(select(Survey).join(Household, Household.id == Survey.household_id)
                      .where(Survey.deleted == False, Survey.annual_income.is_not(None),  # noqa: E712
                             Household.deleted == False, *_in_area(Household.village_id, area))
                      .order_by(Survey.household_id, Survey.surveyed_on, Survey.created_at)).all()
    by_household: dict[str, list[Survey]] = defaultdict(list)
    for survey in surveys:
        by_household[survey.household_id].append(survey)
    for series in by_household.values():
        for before, after in zip(series, series[1:]):
            if before.annual_income and after.annual_income > INCOME_JUMP * before.annual_income:
                found.append(Finding("survey", after.id, {"before": before.annual_income,
                                                          "after": after.annual_income}))
    return found


# --- phones --------------------------------------------------------------------------------------

def _area_devices(db: Session, area: Area) -> list[tuple[Device, User]]:
    """Phones of users who work in the area (an officer with a village or subdistrict in it)."""
    query = select(Device, User).join(User, User.id == Device.user_id).where(Device.revoked_at.is_(None))
    if area is not None:
        subdistricts = select(Village.subdistrict_code).where(Village.id.in_(area or {""}))
        working = select(UserArea.user_id).where(
            (UserArea.village_id.in_(area or {""})) | (UserArea.subdistrict_code.in_(subdistricts)))
        query = query.where(User.id.in_(working))
    return list(db.exec(query.order_by(User.username, Device.name)).all())


def phones_not_synced(db: Session, area: Area, today: dt.date) -> list[Finding]:
    """Phones of the area not heard from for 7 days (or never)."""
    since = dt.datetime.combine(today - dt.timedelta(days=PHONE_QUIET_DAYS), dt.time(), dt.timezone.utc)
    found = []
    for device, user in _area_devices(db, area):
        seen = device.last_seen_at
        if seen is not None and seen.tzinfo is None:
            seen = seen.replace(tzinfo=dt.timezone.utc)
        if seen is None or seen < since:
            found.append(Finding(None, device.id, {"device": device.name, "username": user.username,
                                                   "last_seen_at": seen}))
    return found


def clock_skew(db: Session, area: Area, today: dt.date) -> list[Finding]:
    """Phones of the area whose clock was more than 5 minutes off in the last 30 days (SYNC.md)."""
    devices = {d.id: (d, u) for d, u in _area_devices(db, area)}
    if not devices:
        return []
    since = dt.datetime.combine(today - dt.timedelta(days=SKEW_LOOKBACK_DAYS), dt.time(), dt.timezone.utc)
    # The push engine writes the flag into the audit entry's JSON compactly; other writers add a space.
    flagged = cast(AuditEntry.detail, String)
    rows = db.exec(select(AuditEntry.device_id, func.count(), func.max(AuditEntry.at))
                   .where(AuditEntry.device_id.in_(list(devices)), AuditEntry.at >= since,
                          or_(flagged.like('%"clock_skew":true%'), flagged.like('%"clock_skew": true%')))
                   .group_by(AuditEntry.device_id)).all()
    return [Finding(None, device_id, {"device": devices[device_id][0].name, "username": devices[device_id][1].username,
                                      "ops": count, "last": last}) for device_id, count, last in rows]


RULES: dict[str, Callable[[Session, Area, dt.date], list[Finding]]] = {
    "duplicate_citizen_ids": duplicate_citizen_ids,
    "duplicate_house_numbers": duplicate_house_numbers,
    "similar_head_names": similar_head_names,
    "richer_selected_without_reason": richer_selected_without_reason,
    "selected_beyond_target": selected_beyond_target,
    "sessions_without_attendance": sessions_without_attendance,
    "missing_baseline": missing_baseline,
    "overdue_follow_ups": overdue_follow_ups,
    "incomplete_surveys": incomplete_surveys,
    "implausible_numbers": implausible_numbers,
    "phones_not_synced": phones_not_synced,
    "clock_skew": clock_skew,
}


def rule_titles() -> dict[str, tuple[str, str]]:
    """(title, what to do) of each rule of server.review.quality, in the user's language."""
    return {
        "duplicate_citizen_ids": (gettext_("Households with the same citizen ID"),
                                  gettext_("Merge the two records if they are one household.")),
        "duplicate_house_numbers": (gettext_("Two households on one house number"),
                                    gettext_("Merge them, or correct the house number.")),
        "similar_head_names": (gettext_("Heads with the same name in one village"),
                               gettext_("Names compared without titles, tone marks or spaces: merge or leave.")),
        "richer_selected_without_reason": (gettext_("Selected households richer than one left out, without a reason"),
                                           gettext_("Write the reason on the training's selection.")),
        "selected_beyond_target": (gettext_("Trainings with more households than the target"),
                                   gettext_("Withdraw households on the training's selection.")),
        "sessions_without_attendance": (gettext_("Training days past their date without attendance"),
                                        gettext_("Ask the officer to sync the phone, or move the day.")),
        "missing_baseline": (gettext_("Selected households without a baseline survey"),
                             gettext_("Send a needs-fix note to the field.")),
        "overdue_follow_ups": (gettext_("Follow-up surveys overdue"), gettext_("Send a needs-fix note to the field.")),
        "incomplete_surveys": (gettext_("Surveys that do not count: no date, no income, or a date out of range"),
                               gettext_("Send a needs-fix note to the field: the officer completes the survey.")),
        "implausible_numbers": (gettext_("Implausible numbers (income up more than 5×, more than 20 members)"),
                                gettext_("Check the record and send it back if it is wrong.")),
        "phones_not_synced": (gettext_("Phones not synced for 7 days"),
                              gettext_("Call the officer; revoke a lost phone on the devices page.")),
        "clock_skew": (gettext_("Phones whose clock is wrong"),
                       gettext_("Ask the officer to set the phone's date and time.")),
    }
