"""The program's rules, each in one place: used by the pages, the sync engine and the tests.

Validators return a list of `FieldError`s (empty when the data is good). Messages are kept in
both Thai and English so that an API answer carries both and a page shows the user's language.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from server.models.program import INCOME_KINDS
from server.core.dates import (
    fiscal_year_be,
    fiscal_year_span,
    thai_today,
)
from sqlalchemy import ColumnElement, and_, or_, true

from server.models.program import SURVEY_KINDS, Survey
from server.program.field_checks import (
    FieldError,
    refusal,
    required,
    check_bool,
    check_choice,
    check_citizen_id,
    check_date,
    check_int,
    check_phone,
    check_reference,
    check_text,
    invalid,
)

TEAM_SIZE = 5  # one lead livelihood sage + 4 community trainers
TRAINING_DAYS = 5


# --- citizen ID -------------------------------------------------------------------------------


# --- numbers ----------------------------------------------------------------------------------


# --- households -------------------------------------------------------------------------------

def income_per_person(annual_income: int | None, members: int | None) -> float | None:
    """Baht per person per year: the measure that ranks candidates, lowest first."""
    if annual_income is None or not members:
        return None
    return annual_income / members


def check_household(data: dict[str, Any], *, partial: bool = False, income_known: bool = True) -> list[FieldError]:
    """Field rules of a household; `partial` checks only the fields present (a sync upsert).

    The income is required from a page or an import (`income_known`). A phone may register a
    household before its survey: it leaves the income out, and the income is unknown (NULL, ranked
    after every known income), never 0. An income that is sent is a whole number ≥ 0, never empty.
    """
    errors: list[FieldError] = []

    def present(name: str) -> bool:
        return not partial or name in data

    if present("house_no"):
        errors += check_text("house_no", data.get("house_no"), max_length=20, optional=False)
    if present("head_name"):
        errors += check_text("head_name", data.get("head_name"), max_length=120, optional=False)
    if present("citizen_id"):
        errors += check_citizen_id("citizen_id", data.get("citizen_id"))
    if present("members"):
        errors += check_int("members", data.get("members"), minimum=1, maximum=50, optional=False)
    if "annual_income" in data or (income_known and not partial):
        errors += check_int("annual_income", data.get("annual_income"), optional=False)
    if present("phone"):
        errors += check_phone("phone", data.get("phone"))
    if present("consent"):
        errors += check_bool("consent", data.get("consent"))
    if "welfare_card" in data:
        errors += check_bool("welfare_card", data.get("welfare_card"))
    if "interest" in data:
        errors += check_text("interest", data.get("interest"), max_length=32)
    if "note" in data:
        errors += check_text("note", data.get("note"), max_length=1000)
    return errors


# --- trainings --------------------------------------------------------------------------------

def default_session_kind(day: int) -> str:
    """Days 1–3: knowledge and demonstration; day 4: study visit; day 5: practice at home."""
    if day <= 3:
        return "knowledge"
    return "study_visit" if day == 4 else "home_practice"


# --- office: sages, trainer teams, target selection, groups, configuration -------------------

def check_sage(data: dict[str, Any]) -> list[FieldError]:
    """A sage in the registry: a name; citizen ID optional but valid when given; skills as trade codes
    (whether each is a configured trade is `server.program.trades.check_trade_codes`), anything else in words."""
    errors = check_text("name", data.get("name"), max_length=120, optional=False)
    errors += check_citizen_id("citizen_id", data.get("citizen_id"))
    errors += check_phone("phone", data.get("phone"))
    errors += check_text("found_by", data.get("found_by"), max_length=120)
    errors += check_text("note", data.get("note"), max_length=1000)
    errors += check_text("skills_note", data.get("skills_note"), max_length=1000)
    skills = data.get("skills") or []
    if any(not isinstance(s, str) or len(s) > 32 for s in skills):
        errors.append(invalid("skills", "Skills are chosen from the list of trades"))
    return errors


def check_team_lead(*, led_elsewhere: str | None, is_member: bool, same_village: bool,
                    note: str | None) -> list[FieldError]:
    """One lead livelihood sage per team; a sage leads at most one team in a fiscal year.

    `led_elsewhere` names the village whose team the sage already leads that year (None if none).
    """
    if led_elsewhere:
        return [invalid('lead_sage_id', 'This sage already leads the team of {led_elsewhere} this fiscal year (a sage leads one team a year)', led_elsewhere=led_elsewhere)]
    if is_member:
        return [invalid('lead_sage_id', 'This sage is already a trainer on this team; remove them from the trainers first')]
    if not same_village and not (note and note.strip()):
        return [required_note("note")]
    return []


def required_note(field: str) -> FieldError:
    return refusal(field, 'required', 'This sage lives outside the village: note why they train here')


def check_team_member(*, members_now: int, already_on_team: bool, is_lead: bool, same_village: bool,
                      outside_note: str | None) -> list[FieldError]:
    """A trainer joining a team: 5 trainers in all (the lead and 4 more); outsiders need a note."""
    if is_lead or already_on_team:
        return [invalid('sage_id', 'This sage is already on this team')]
    if members_now + 1 >= TEAM_SIZE:
        return [invalid('sage_id', 'The team already has {team_size} trainers (the lead and {others} more); remove one before adding another', team_size=TEAM_SIZE, others=TEAM_SIZE - 1)]
    if not same_village and not (outside_note and outside_note.strip()):
        return [required_note("outside_note")]
    return check_text("outside_note", outside_note, max_length=500)


def team_missing(*, has_lead: bool, members: int) -> tuple[bool, int]:
    """What a team still lacks: (the lead is missing, how many trainers besides the lead)."""
    return (not has_lead, max(0, TEAM_SIZE - 1 - members))


def rank_candidates(households: list[Any], *, welfare_card_first: bool = False) -> list[Any]:
    """Candidates for a training, lowest income per person first; an unknown income comes after
    every known one (a household not yet surveyed is never taken for the poorest). Where the
    configuration says so, holders of the state welfare card come first, each part in that order.
    (A reason is still asked where a poorer household is left out: `check_selection`.)"""
    def key(h: Any) -> tuple:
        per_person = income_per_person(h.annual_income, h.members)
        card = welfare_card_first and getattr(h, "welfare_card", None) is not True
        return (card, per_person is None, per_person or 0, str(h.house_no))
    return sorted(households, key=key)


def poorest_left_out(left_out: Iterable[float | None]) -> float | None:
    """The lowest known income per person among the candidates left out (None: none is known)."""
    return min((v for v in left_out if v is not None), default=None)


def passes_over_poorer(per_person: float | None, poorest: float | None) -> bool:
    """Whether choosing a household (its income per person) leaves out a poorer one: it earns more than
    the poorest left out, or its income is unknown while a known one is left out. Ties need no reason."""
    if poorest is None:
        return False
    return per_person is None or per_person > poorest


def over_target(field: str, *, selected: int, limit: int) -> list[FieldError]:
    """At most `limit` households are selected for a training (the configured target per village)."""
    if selected <= limit:
        return []
    return [invalid(field, 'Select at most {limit} households ({selected} selected)', limit=limit, selected=selected)]


def reason_required(field: str) -> FieldError:
    return refusal(field, 'required', 'This household earns more per person than one left out: give a reason')


def check_selection(ranked: list[Any], selected_ids: set[str], reasons: dict[str, str], *,
                    limit: int) -> list[FieldError]:
    """A whole selection (the training page): at most `limit` households; a household chosen over a
    poorer one that is left out needs a written reason (field `reason_<household id>`)."""
    errors = over_target("selected", selected=len(selected_ids), limit=limit)
    poorest = poorest_left_out(income_per_person(h.annual_income, h.members)
                               for h in ranked if h.id not in selected_ids)
    for household in ranked:
        per_person = income_per_person(household.annual_income, household.members)
        if household.id not in selected_ids or not passes_over_poorer(per_person, poorest):
            continue
        if not (reasons.get(household.id) or "").strip():
            errors.append(reason_required(f"reason_{household.id}"))
    return errors


def check_enrollment_selection(per_person: float | None, *, left_out: Iterable[float | None], selected: int,
                               reason: str | None, limit: int) -> list[FieldError]:
    """One selected enrollment, judged as `check_selection` judges a whole selection: its training keeps
    to the target with it (`selected` counts it) and, choosing a household that earns `per_person`
    while households earning `left_out` are not selected, it carries a written reason where needed."""
    errors = over_target("status", selected=selected, limit=limit)
    if passes_over_poorer(per_person, poorest_left_out(left_out)) and not (reason or "").strip():
        errors.append(reason_required("reason"))
    return errors


def enrollment_outside_village(field: str) -> FieldError:
    return invalid(field, 'This household is not in the village of this training')


def duplicate_citizen_id(field: str) -> FieldError:
    return invalid(field, 'Duplicate citizen ID: this household is already registered.')


def citizen_id_checks_limited(field: str) -> FieldError:
    return invalid(field, "Too many citizen IDs that are already registered were entered: leave this field "
                          "empty and try again in an hour, or ask your supervisor.")


def check_group(data: dict[str, Any]) -> list[FieldError]:
    errors = check_text("name", data.get("name"), max_length=200, optional=False)
    errors += check_text("category", data.get("category"), max_length=32, optional=False)
    errors += check_phone("phone", data.get("phone"))
    errors += check_int("fund_balance", data.get("fund_balance"), optional=True)
    for name in ("rules", "activities", "note"):
        errors += check_text(name, data.get(name), max_length=4000)
    return errors


def check_funding_request(data: dict[str, Any], *, statuses: tuple[str, ...],
                          sources: Iterable[str]) -> list[FieldError]:
    """A request for money: a configured source, an amount asked, a known status; the amount received
    only once received (and never more than a bank's whole year: `MAX_INCOME`); dates in order."""
    errors = check_choice("source", data.get("source"), tuple(sources))
    errors += check_int("amount_asked", data.get("amount_asked"), minimum=1, optional=False)
    errors += check_choice("status", data.get("status"), statuses)
    errors += check_int("amount_received", data.get("amount_received"), optional=True)
    errors += check_text("proposal_file", data.get("proposal_file"), max_length=200)
    errors += check_text("note", data.get("note"), max_length=2000)
    received = data.get("amount_received") or 0
    if isinstance(received, int) and received > 0 and data.get("status") != "received":
        errors.append(invalid("amount_received", "Record an amount received only when the status is received"))
    if data.get("status") == "received" and not received:
        errors.append(required("amount_received"))
    asked_on, received_on = data.get("asked_on"), data.get("received_on")
    if isinstance(asked_on, dt.date) and isinstance(received_on, dt.date) and received_on < asked_on:
        errors.append(invalid("received_on", "The day received cannot be before the day asked"))
    return errors


def check_poverty_line(from_year: Any, to_year: Any, amount: Any) -> list[FieldError]:
    errors = check_int("from_year", from_year, minimum=2400, maximum=2800, optional=False)
    errors += check_int("to_year", to_year, minimum=2400, maximum=2800, optional=False)
    errors += check_int("amount", amount, minimum=1, maximum=10_000_000, optional=False)
    if not errors and from_year > to_year:
        errors.append(invalid('to_year', 'The last year must not be before the first'))
    return errors
# --- end of office rules


# --- sages, enrollments, attendance, surveys ----------------------------------------------------


def check_enrollment(data: dict[str, Any]) -> list[FieldError]:
    """A household selected for a training: both references, and a known status."""
    from server.models.program import ENROLLMENT_STATUSES

    errors = check_reference("training_id", data.get("training_id"))
    errors += check_reference("household_id", data.get("household_id"))
    errors += check_choice("status", data.get("status"), ENROLLMENT_STATUSES)
    errors += check_text("occupation", data.get("occupation"), max_length=32)
    errors += check_text("reason", data.get("reason"), max_length=1000)
    return errors


def check_attendance(data: dict[str, Any]) -> list[FieldError]:
    """A household's attendance on one day of a training."""
    errors = check_reference("session_id", data.get("session_id"))
    errors += check_reference("household_id", data.get("household_id"))
    errors += check_bool("present", data.get("present"), optional=False)
    errors += check_text("note", data.get("note"), max_length=1000)
    return errors


def check_survey(data: dict[str, Any]) -> list[FieldError]:
    """A baseline or follow-up income survey of a household, as the contract describes it: a date, and
    for the kinds that measure income an income or `income_unknown` (`survey_complete` reads the same).
    The date's place in time (not after today, not before its first possible year) needs the
    household's trainings: `survey_date_bounds`, checked by the survey's record check."""
    errors = check_reference("household_id", data.get("household_id"))
    errors += check_choice("kind", data.get("kind"), SURVEY_KINDS)
    errors += check_date("surveyed_on", data.get("surveyed_on"), optional=False)
    errors += check_int("annual_income", data.get("annual_income"))
    errors += check_bool("income_unknown", data.get("income_unknown"))
    if not errors_for(errors, "annual_income", "income_unknown"):
        errors += check_income_answer(data.get("kind"), data.get("annual_income"), data.get("income_unknown"))
    for name in ("annual_expenses", "savings", "debt", "trade_income_month"):
        errors += check_int(name, data.get(name))
    errors += check_bool("practising_trade", data.get("practising_trade"))
    errors += check_text("note", data.get("note"), max_length=1000)
    return errors


def errors_for(errors: list[FieldError], *fields: str) -> bool:
    return any(error.field in fields for error in errors)


def check_income_answer(kind: Any, annual_income: Any, income_unknown: Any) -> list[FieldError]:
    """An income survey answers the income: a number, or "not known" ticked — never both, never neither."""
    if kind not in INCOME_KINDS:
        return []
    if annual_income is None and income_unknown is not True:
        return [refusal('annual_income', 'required', 'Type the household\'s income, or tick "Income not known"')]
    if annual_income is not None and income_unknown is True:
        return [invalid('income_unknown', 'An income is typed and "Income not known" is ticked: keep one of them')]
    return []


def survey_earliest(first_training_year: int | None, *, today: dt.date | None = None) -> dt.date:
    """The first day a survey may bear: the start of the fiscal year before the household's first
    training (a baseline is taken up to a year ahead of it), or before the current fiscal year for a
    household with no training yet."""
    year = first_training_year if first_training_year is not None else fiscal_year_be(today or thai_today())
    return fiscal_year_span(year - 1)[0]


def check_survey_date(field: str, value: dt.date | None, *, first_training_year: int | None,
                      today: dt.date | None = None) -> list[FieldError]:
    """A survey records what was earned: not dated after today, nor before `survey_earliest`."""
    if value is None:
        return []
    future = check_not_future(field, value, today=today)
    if future:
        return future
    earliest = survey_earliest(first_training_year, today=today)
    if value >= earliest:
        return []
    year = fiscal_year_be(earliest)
    return [invalid(field, 'The survey date must not be before {day} (the start of fiscal year {year}): check the day and the year', day=earliest, year=year)]


def survey_complete(kind: str | None, surveyed_on: Any, annual_income: Any, income_unknown: Any) -> bool:
    """A stored survey counts (progress, indicators) when it holds what it measures: a date, and for
    an income kind an income or "not known" said. Older surveys may lack either."""
    if surveyed_on is None:
        return False
    return kind not in INCOME_KINDS or annual_income is not None or income_unknown is True


def complete_survey() -> ColumnElement[bool]:
    """`survey_complete` in SQL: the surveys progress and the indicators count (a date,
    and for an income kind an income or "not known" said)."""
    answered = [Survey.annual_income.is_not(None), Survey.income_unknown == true()]
    if set(SURVEY_KINDS) - set(INCOME_KINDS):  # today every kind asks the income
        answered.append(Survey.kind.not_in(INCOME_KINDS))
    return and_(Survey.surveyed_on.is_not(None), or_(*answered))


# --- sync answers -------------------------------------------------------------------------------
# The reasons a pushed op is turned away (SYNC.md, Push); the phone shows them to the officer.


# --- trainer teams: one team a year -------------------------------------------------------------

def check_one_team_a_year(field: str, *, serves_elsewhere: str | None) -> list[FieldError]:
    """A sage serves on one village's team in a fiscal year, as its lead or as a trainer.

    `serves_elsewhere` names the village whose team the sage is already on that year (None if none).
    """
    if not serves_elsewhere:
        return []
    return [invalid(field, 'This sage is already on the team of {serves_elsewhere} this fiscal year (a sage serves on one team a year); remove them from that team first', serves_elsewhere=serves_elsewhere)]


# --- dates against their year and today ---------------------------------------------------------
# Assessments, surveys and attendance record what has happened: never a day still to come. A training's
# days lie in its fiscal year; a day that slips past the year's end is allowed (schedules move, and the
# department does not box activities in by budget deadlines) but flagged; one before the year begins,
# or more than a year after it, is a typing slip.

def check_not_future(field: str, value: dt.date | None, *, today: dt.date | None = None) -> list[FieldError]:
    if value is None or value <= (today or thai_today()):
        return []
    return [invalid(field, 'This day has not come yet: use today or an earlier day')]


def check_day_held(field: str, value: dt.date | None, *, today: dt.date | None = None) -> list[FieldError]:
    """Attendance is taken on a training day that has come: one dated after today is refused, with what
    to do (the office moves the day's date; the phone then sends the mark again)."""
    if value is None or value <= (today or thai_today()):
        return []
    return [invalid(field, "This training day is dated {day}, after today: ask the office to move the day's date, then send again", day=value)]


def marked_day_moved_ahead(field: str) -> FieldError:
    return invalid(field, 'Attendance is already recorded for this day: it cannot move after today; choose today or an earlier day')


def check_training_day(field: str, value: dt.date | None, fiscal_year: int | None) -> list[FieldError]:
    """A training day before its fiscal year begins, or past the end of the year after, is refused."""
    if value is None or fiscal_year is None:
        return []
    first, last = fiscal_year_span(fiscal_year)
    if value < first:
        return [invalid(field, 'Before fiscal year {fiscal_year}, which starts on 1 Oct {year_before} BE', fiscal_year=fiscal_year, year_before=fiscal_year - 1)]
    if value > fiscal_year_span(fiscal_year + 1)[1]:
        return [invalid(field, 'More than a year after fiscal year {fiscal_year}: check the year', fiscal_year=fiscal_year)]
    return []


def after_fiscal_year(value: dt.date | None, fiscal_year: int) -> bool:
    """A training day after its fiscal year's end: allowed, with a warning."""
    return value is not None and value > fiscal_year_span(fiscal_year)[1]
