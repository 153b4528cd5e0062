"""The program's figures for an area and a fiscal year, computed by SQL aggregates.

Definitions (the department's indicators, made precise):

* **Target village**: a village with a training (not deleted) in the fiscal year; with a trade
  filter, a training in that trade. A unit's figures come from its target villages.
* **Selected household**: an enrollment with status `selected`; a `withdrawn` enrollment is counted
  apart and is never in any other figure.
* **Trained household**: a selected household marked present on at least one day of its training.
  A household trained in two trades the same year counts once in each trade and once in a total.
* **Practising the trade** (goal ≥ 85%): among trained households, the share whose latest follow-up
  survey (`after_training` < `follow_up_3m` < `6m` < `12m`) that answers the question says yes.
  Households without such a survey yet are *awaiting follow-up*: counted, but neither in the
  numerator nor in the denominator.
* **Income change** (goal ≥ 3%), per follow-up round: trained households practising the trade at
  that round, with an annual income in both the baseline survey and that round's survey. The
  indicator is the change of their *average* income, (Σ after − Σ before) / Σ before. A household
  whose baseline income is 0 has no percentage change of its own (any income would be an infinite
  rise): it counts in the averages before and after (so in the indicator), is left out of the
  *median household change*, and is reported as "zero baseline". When every household of a unit
  has a zero baseline, the change has no value (shown as "—").
* **Villages with an occupation group** (goal ≥ 10%): target villages with at least one group
  (not deleted).

Every function takes the user's area as a SQL condition (`server.reports.scope.area_condition`)
and returns one row per unit of the breakdown (`by`): a child geocode, or a trade.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, distinct, exists, false, func, literal, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from server.models import (
    Attendance,
    Enrollment,
    FiveKAssessment,
    Household,
    OccupationGroup,
    Survey,
    TeamMember,
    Training,
    TrainerTeam,
    TrainingSession,
    Village,
)
from server.models.program import SURVEY_KINDS
from server.reports.scope import Filters
from server.rules import TEAM_SIZE, TRAINING_DAYS

GOAL_PRACTISING = 85.0
GOAL_INCOME_CHANGE = 3.0
GOAL_GROUP_VILLAGES = 10.0
FOLLOW_UP_KINDS = tuple(k for k in SURVEY_KINDS if k != "baseline")
BY_LENGTH = {"province": 2, "district": 4, "subdistrict": 6, "village": 8}
LEVEL_BY_LENGTH = {n: by for by, n in BY_LENGTH.items()}
BREAKDOWNS = (*BY_LENGTH, "occupation", "total")
# A follow-up round's number of months after the last training day (after_training: at once).
ROUND_MONTHS = {"after_training": 0, "follow_up_3m": 3, "follow_up_6m": 6, "follow_up_12m": 12}


def round_kinds(follow_up_months: list[int]) -> list[str]:
    """The follow-up rounds in use: right after training, then each configured month that has a kind."""
    kinds = ["after_training"] + [f"follow_up_{m}m" for m in follow_up_months]
    return [k for k in FOLLOW_UP_KINDS if k in kinds]


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the month's last day when that day does not exist)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(d, 31))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def percent(part: float | int | None, whole: float | int | None) -> float | None:
    if part is None or not whole:
        return None
    return part * 100.0 / whole


# --- the trainings a report covers ----------------------------------------------------------------

def _trainings(area: ColumnElement[bool], filters: Filters):  # noqa: ANN202
    """One row per training in scope: its id, village, village geocode and trade (a CTE)."""
    query = (select(Training.id.label("training_id"), Training.village_id.label("village_id"),
                    Village.code.label("vcode"), Training.occupation.label("occ"))
             .join(Village, Village.id == Training.village_id)
             .where(Training.fiscal_year == filters.fiscal_year, Training.deleted == false(),
                    Village.deleted == false(), area))
    if filters.area:
        query = query.where(Village.code.startswith(filters.area))
    if filters.occupation:
        query = query.where(Training.occupation == filters.occupation)
    return query.cte("scoped_training")


def _key(t, by: str):  # noqa: ANN001, ANN202
    if by in BY_LENGTH:
        return func.substr(t.c.vcode, 1, BY_LENGTH[by])
    if by == "occupation":
        return t.c.occ
    if by == "total":
        return literal("")
    raise ValueError(by)


def _attended(training_id, household_id) -> ColumnElement[bool]:  # noqa: ANN001
    """The household was marked present on at least one (not deleted) day of the training."""
    return exists(select(Attendance.id).join(TrainingSession, TrainingSession.id == Attendance.session_id)
                  .where(TrainingSession.training_id == training_id, TrainingSession.deleted == false(),
                         Attendance.household_id == household_id, Attendance.present == True,  # noqa: E712
                         Attendance.deleted == false()))


def _selected(t):  # noqa: ANN001, ANN202
    """Conditions joining a selected (not withdrawn, not deleted) enrollment of a household that exists."""
    return (Enrollment.training_id == t.c.training_id, Enrollment.status == "selected",
            Enrollment.deleted == false())


def trained_households(area: ColumnElement[bool], filters: Filters, by: str):  # noqa: ANN202
    """(k, household_id) of every trained household, once per unit (a CTE)."""
    t = _trainings(area, filters)
    return (select(_key(t, by).label("k"), Enrollment.household_id.label("household_id"))
            .select_from(t).join(Enrollment, and_(*_selected(t)))
            .join(Household, and_(Household.id == Enrollment.household_id, Household.deleted == false()))
            .where(_attended(t.c.training_id, Enrollment.household_id))
            .distinct().cte("trained"))


# --- progress -------------------------------------------------------------------------------------

@dataclass
class Round:
    due: int = 0
    done: int = 0

    @property
    def share(self) -> float | None:
        return percent(self.done, self.due)


@dataclass
class Day:
    held: int = 0  # trainings whose day was held (dated on or before today)
    expected: int = 0  # selected households of those trainings
    present: int = 0

    @property
    def rate(self) -> float | None:
        return percent(self.present, self.expected)


@dataclass
class Progress:
    key: str
    villages: int = 0
    trainings: int = 0
    teams_complete: int = 0
    team_size: int = 0  # sum of team sizes (a village's own team: its size)
    selected: int = 0
    withdrawn: int = 0
    days: dict[int, Day] = field(default_factory=lambda: {d: Day() for d in range(1, TRAINING_DAYS + 1)})
    surveys: dict[str, Round] = field(default_factory=dict)
    groups: int = 0
    groups_assessed: int = 0
    groups_ready: int = 0  # latest 5 ก assessment meets every element

    def target(self, households_per_village: int) -> int:
        return self.villages * households_per_village


def progress(db: Session, *, area: ColumnElement[bool], filters: Filters, by: str, today: dt.date,
             follow_up_months: list[int], five_k_codes: list[str]) -> dict[str, Progress]:
    """Progress per unit: villages, teams, households selected, days held with attendance,
    surveys due and done per round, groups and their 5 ก readiness."""
    t = _trainings(area, filters)
    key = _key(t, by)
    rows: dict[str, Progress] = {}

    def row(k: str) -> Progress:
        if k not in rows:
            rows[k] = Progress(key=k, surveys={kind: Round() for kind in ["baseline", *round_kinds(follow_up_months)]})
        return rows[k]

    # Villages, and their teams of this fiscal year.
    members = (select(TeamMember.team_id, func.count().label("n")).group_by(TeamMember.team_id)
               .subquery("members"))
    size = (case((TrainerTeam.lead_sage_id.is_not(None), 1), else_=0) + func.coalesce(members.c.n, 0))
    teams = (select(TrainerTeam.village_id, size.label("size"))
             .outerjoin(members, members.c.team_id == TrainerTeam.id)
             .where(TrainerTeam.fiscal_year == filters.fiscal_year, TrainerTeam.deleted == false())
             .subquery("teams"))
    units = select(key.label("k"), t.c.village_id).distinct().subquery("units")
    for k, villages, complete, sizes in db.exec(
            select(units.c.k, func.count(), func.count(case((teams.c.size >= TEAM_SIZE, 1))),
                   func.coalesce(func.sum(teams.c.size), 0))
            .select_from(units).outerjoin(teams, teams.c.village_id == units.c.village_id)
            .group_by(units.c.k)):
        r = row(k)
        r.villages, r.teams_complete, r.team_size = villages, complete, int(sizes)

    for k, trainings, selected, withdrawn in db.exec(
            select(key, func.count(distinct(t.c.training_id)),
                   func.count(case((Enrollment.status == "selected", 1))),
                   func.count(case((Enrollment.status == "withdrawn", 1))))
            .select_from(t)
            .outerjoin(Enrollment, and_(Enrollment.training_id == t.c.training_id, Enrollment.deleted == false()))
            .group_by(key)):
        r = row(k)
        r.trainings, r.selected, r.withdrawn = trainings, selected, withdrawn

    # Each day held: how many trainings held it, and attendance of their selected households.
    enrolled = (select(Enrollment.training_id, func.count().label("n"))
                .where(Enrollment.status == "selected", Enrollment.deleted == false(),
                       Enrollment.training_id.in_(select(t.c.training_id)))
                .group_by(Enrollment.training_id).subquery("enrolled"))
    present = (select(Attendance.session_id, func.count().label("n"))
               .join(TrainingSession, TrainingSession.id == Attendance.session_id)
               .join(Enrollment, and_(Enrollment.training_id == TrainingSession.training_id,
                                      Enrollment.household_id == Attendance.household_id))
               .where(Attendance.present == True, Attendance.deleted == false(),  # noqa: E712
                      Enrollment.status == "selected", Enrollment.deleted == false(),
                      TrainingSession.training_id.in_(select(t.c.training_id)))
               .group_by(Attendance.session_id).subquery("present"))
    for k, day, held, expected, here in db.exec(
            select(key, TrainingSession.day, func.count(), func.coalesce(func.sum(enrolled.c.n), 0),
                   func.coalesce(func.sum(present.c.n), 0))
            .select_from(t).join(TrainingSession, TrainingSession.training_id == t.c.training_id)
            .outerjoin(enrolled, enrolled.c.training_id == t.c.training_id)
            .outerjoin(present, present.c.session_id == TrainingSession.id)
            .where(TrainingSession.deleted == false(), TrainingSession.date <= today)
            .group_by(key, TrainingSession.day)):
        if day in row(k).days:
            row(k).days[day] = Day(held=held, expected=int(expected), present=int(here))

    # Surveys: the baseline is due for every selected household; a follow-up round for every
    # trained household once its training's last day is that many months past.
    for kind in ["baseline", *round_kinds(follow_up_months)]:
        query = (select(key, func.count(), func.count(Survey.id)).select_from(t)
                 .join(Enrollment, and_(*_selected(t))))
        if kind != "baseline":
            cutoff = months_before(today, ROUND_MONTHS[kind])
            last_day = (select(TrainingSession.training_id).where(
                TrainingSession.day == TRAINING_DAYS, TrainingSession.deleted == false(),
                TrainingSession.date <= cutoff))
            query = query.where(t.c.training_id.in_(last_day), _attended(t.c.training_id, Enrollment.household_id))
        query = query.outerjoin(Survey, and_(Survey.household_id == Enrollment.household_id, Survey.kind == kind,
                                             Survey.deleted == false()))
        for k, due, done in db.exec(query.group_by(key)):
            row(k).surveys[kind] = Round(due=due, done=done)

    # Groups of the target villages and their latest 5 ก assessment.
    group_units = (select(units.c.k, OccupationGroup.id.label("group_id"))
                   .join(OccupationGroup, and_(OccupationGroup.village_id == units.c.village_id,
                                               OccupationGroup.deleted == false()))
                   .subquery("group_units"))
    latest = (select(FiveKAssessment.group_id, func.max(FiveKAssessment.id).label("id"))
              .where(FiveKAssessment.group_id.in_(select(group_units.c.group_id)))
              .group_by(FiveKAssessment.group_id).subquery("latest"))
    for k, _group_id, scores in db.exec(
            select(group_units.c.k, group_units.c.group_id, FiveKAssessment.scores).select_from(group_units)
            .outerjoin(latest, latest.c.group_id == group_units.c.group_id)
            .outerjoin(FiveKAssessment, FiveKAssessment.id == latest.c.id)):
        r = row(k)
        r.groups += 1
        if scores is not None:
            r.groups_assessed += 1
            if five_k_codes and all(scores.get(code) for code in five_k_codes):
                r.groups_ready += 1
    return rows


# --- outcomes -------------------------------------------------------------------------------------

@dataclass
class Income:
    """One follow-up round's income figures for the households it rests on."""

    households: int = 0
    before_total: int = 0
    after_total: int = 0
    zero_baseline: int = 0
    median_change: float | None = None  # median of household % changes (zero baselines left out)

    @property
    def before_average(self) -> float | None:
        return self.before_total / self.households if self.households else None

    @property
    def after_average(self) -> float | None:
        return self.after_total / self.households if self.households else None

    @property
    def change(self) -> float | None:
        """The indicator: change of the average income, in percent (None when the base is 0)."""
        return percent(self.after_total - self.before_total, self.before_total)

    @property
    def meets_goal(self) -> bool | None:
        return None if self.change is None else self.change >= GOAL_INCOME_CHANGE


@dataclass
class Outcome:
    key: str
    trained: int = 0
    followed_up: int = 0  # trained households with an answer on practising the trade
    practising: int = 0
    villages: int = 0
    villages_with_group: int = 0
    income: dict[str, Income] = field(default_factory=dict)

    @property
    def awaiting_follow_up(self) -> int:
        return self.trained - self.followed_up

    @property
    def practising_share(self) -> float | None:
        return percent(self.practising, self.followed_up)

    @property
    def group_share(self) -> float | None:
        return percent(self.villages_with_group, self.villages)


def _kind_rank():  # noqa: ANN202
    return case({kind: n for n, kind in enumerate(SURVEY_KINDS)}, value=Survey.kind, else_=-1)


def outcomes(db: Session, *, area: ColumnElement[bool], filters: Filters, by: str,
             follow_up_months: list[int]) -> dict[str, Outcome]:
    """The department's indicators per unit, each with the number of households or villages behind it."""
    rows: dict[str, Outcome] = {}
    kinds = round_kinds(follow_up_months)

    def row(k: str) -> Outcome:
        if k not in rows:
            rows[k] = Outcome(key=k, income={kind: Income() for kind in kinds})
        return rows[k]

    trained = trained_households(area, filters, by)
    answered = (select(Survey.household_id, Survey.practising_trade,
                       func.row_number().over(partition_by=Survey.household_id,
                                              order_by=_kind_rank().desc()).label("rn"))
                .where(Survey.kind != "baseline", Survey.deleted == false(), Survey.practising_trade.is_not(None),
                       Survey.household_id.in_(select(trained.c.household_id)))
                .subquery("answered"))
    for k, count, followed, practising in db.exec(
            select(trained.c.k, func.count(), func.count(answered.c.household_id),
                   func.count(case((answered.c.practising_trade == True, 1))))  # noqa: E712
            .select_from(trained)
            .outerjoin(answered, and_(answered.c.household_id == trained.c.household_id, answered.c.rn == 1))
            .group_by(trained.c.k)):
        r = row(k)
        r.trained, r.followed_up, r.practising = count, followed, practising

    for kind in kinds:
        incomes = income_pairs(trained, kind)
        for k, households, before, after, zero in db.exec(
                select(incomes.c.k, func.count(), func.coalesce(func.sum(incomes.c.before), 0),
                       func.coalesce(func.sum(incomes.c.after), 0), func.count(case((incomes.c.before == 0, 1))))
                .group_by(incomes.c.k)):
            row(k).income[kind] = Income(households=households, before_total=int(before), after_total=int(after),
                                         zero_baseline=zero)
        for k, median in db.exec(_median(incomes)):
            row(k).income[kind].median_change = float(median)

    t = _trainings(area, filters)
    units = select(_key(t, by).label("k"), t.c.village_id).distinct().subquery("units")
    with_group = exists(select(OccupationGroup.id).where(OccupationGroup.village_id == units.c.village_id,
                                                         OccupationGroup.deleted == false()))
    for k, villages, grouped in db.exec(select(units.c.k, func.count(), func.count(case((with_group, 1))))
                                        .group_by(units.c.k)):
        r = row(k)
        r.villages, r.villages_with_group = villages, grouped
    return rows


def income_pairs(trained, kind: str):  # noqa: ANN001, ANN202
    """(k, household_id, before, after, change %) of trained households practising at round `kind`."""
    base = Survey.__table__.alias("base")
    after = Survey.__table__.alias("after")
    change = case((base.c.annual_income > 0,
                   (after.c.annual_income - base.c.annual_income) * 100.0 / base.c.annual_income))
    return (select(trained.c.k, trained.c.household_id, base.c.annual_income.label("before"),
                   after.c.annual_income.label("after"), change.label("change"))
            .select_from(trained)
            .join(base, and_(base.c.household_id == trained.c.household_id, base.c.kind == "baseline",
                             base.c.deleted == false(), base.c.annual_income.is_not(None)))
            .join(after, and_(after.c.household_id == trained.c.household_id, after.c.kind == kind,
                              after.c.deleted == false(), after.c.annual_income.is_not(None),
                              after.c.practising_trade == True))  # noqa: E712
            .subquery(f"income_{kind}"))


def _median(incomes):  # noqa: ANN001, ANN202
    """The median household change per unit, in SQL: the middle row (or the mean of the two)."""
    ranked = (select(incomes.c.k, incomes.c.change,
                     func.row_number().over(partition_by=incomes.c.k, order_by=incomes.c.change).label("rn"),
                     func.count().over(partition_by=incomes.c.k).label("n"))
              .where(incomes.c.change.is_not(None)).subquery("ranked"))
    middle = ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
    return select(ranked.c.k, func.avg(ranked.c.change)).where(middle).group_by(ranked.c.k)


def by_unit_order(rows: dict[str, Any]) -> list[Any]:
    return [rows[k] for k in sorted(rows)]
