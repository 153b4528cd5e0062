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
  Only complete surveys count, here and everywhere below (a date, and an income or "not known"
  said: `server.program.rules.survey_complete`); an incomplete one is listed on the quality page.
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
* **Earning more than it spends** (สัมมาชีพ by the program's own measure, with savings rising): among
  trained households whose latest complete follow-up survey (not the baseline) giving both an income
  and expenses exists, the share whose income there exceeds its expenses. Households without such a
  survey are outside both numbers.
* **Savings rising**: among trained households with savings given in the baseline and in a complete
  follow-up survey, the share whose savings in the latest such follow-up exceed the baseline's.

Every function takes the user's area as a SQL condition (`server.reports.report_area.area_condition`)
and returns one row per unit of the breakdown (`by`): a child geocode, or a trade.

How they are computed, so that a district's page stays fast on five national years: the trainings
in scope are found from their villages (indexes on the village's geocode and on a year's trainings
by village); each enrollment's attendance and each household's surveys are read once per request,
through the tables' indexes, into one row per household (`with_answers`); every breakdown a page
shows (its units and its total) is aggregated from those rows in the same statement. Progress adds
up per training in SQL and rolls the trainings up into units in Python (counts of enrollments,
days and surveys add up over trainings; villages are counted once per unit).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Float, and_, case, exists, false, func, literal, select, true, union
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
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
from server.reports.report_area import Filters, geocode_within
from server.program.rules import TEAM_SIZE, TRAINING_DAYS
from server.program.rules import complete_survey

GOAL_PRACTISING = 85.0
GOAL_INCOME_CHANGE = 3.0
GOAL_GROUP_VILLAGES = 10.0
FOLLOW_UP_KINDS = tuple(k for k in SURVEY_KINDS if k != "baseline")
BY_LENGTH = {"province": 2, "district": 4, "subdistrict": 6, "village": 8}
LEVEL_BY_LENGTH = {n: by for by, n in BY_LENGTH.items()}
BREAKDOWNS = (*BY_LENGTH, "occupation", "total")
DAYS = range(1, TRAINING_DAYS + 1)
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

def trainings_in_scope(area: ColumnElement[bool], filters: Filters):  # noqa: ANN202
    """One row per training in scope: its id, village, village geocode and trade (a CTE).

    The villages are chosen first (by the user's area and the geocode filter, both served by
    village indexes), then their trainings of the year by the (fiscal_year, village_id) index, so a
    district's report reads the district's trainings, not the country's.
    """
    villages = select(Village.id).where(Village.deleted == false(), area)
    if filters.area:
        villages = villages.where(geocode_within(Village.code, filters.area))
    query = (select(Training.id.label("training_id"), Training.village_id.label("village_id"),
                    Village.code.label("vcode"), Training.occupation.label("occ"))
             .join(Village, Village.id == Training.village_id)
             .where(Training.fiscal_year == filters.fiscal_year, Training.deleted == false(),
                    Training.village_id.in_(villages)))
    if filters.occupation:
        query = query.where(Training.occupation == filters.occupation)
    return query.cte("scoped_training").prefix_with("NOT MATERIALIZED")


def _key(t, by: str):  # noqa: ANN001, ANN202
    """A unit's key in SQL, from a relation with the training's village geocode and trade."""
    if by in BY_LENGTH:
        return func.substr(t.c.vcode, 1, BY_LENGTH[by])
    if by == "occupation":
        return t.c.occ
    if by == "total":
        return literal("")
    raise ValueError(by)


def unit_key(by: str, vcode: str, occupation: str) -> str:
    """The same key in Python (for figures rolled up from trainings)."""
    if by in BY_LENGTH:
        return vcode[:BY_LENGTH[by]]
    if by == "occupation":
        return occupation
    if by == "total":
        return ""
    raise ValueError(by)


def _check(breakdowns: Sequence[str]) -> None:
    for by in breakdowns:
        if by not in BREAKDOWNS:
            raise ValueError(by)


def _selected(t):  # noqa: ANN001, ANN202
    """Conditions joining a selected (not withdrawn, not deleted) enrollment of a household that exists."""
    return (Enrollment.training_id == t.c.training_id, Enrollment.status == "selected",
            Enrollment.deleted == false())


def _present_mark():  # noqa: ANN202
    """The conditions of a mark that makes a household trained: present, on a day not deleted."""
    return (TrainingSession.deleted == false(), Attendance.present == True,  # noqa: E712
            Attendance.deleted == false())


def was_present(training_id, household_id) -> ColumnElement[bool]:  # noqa: ANN001
    """The household was marked present on at least one (not deleted) day of the training.

    A semi-join (EXISTS), not a join on (training, household): PostgreSQL estimates such a join at
    one row and plans everything after it as if it were."""
    return exists(select(Attendance.id).join(TrainingSession, TrainingSession.id == Attendance.session_id)
                  .where(TrainingSession.training_id == training_id, Attendance.household_id == household_id,
                         *_present_mark()))


def _trained_enrollments(t):  # noqa: ANN001, ANN202
    """(vcode, occ, household_id) of every trained household's enrollment in scope (a CTE,
    computed once and planned on its own: whatever PostgreSQL guesses of its size, the joins
    inside it are not reordered around the rest of the statement)."""
    # Deleted households are few: leaving them out (an index of them) costs less than looking up
    # every household.
    deleted = select(Household.id).where(Household.deleted == true())
    return (select(t.c.vcode, t.c.occ, Enrollment.household_id).select_from(t)
            .join(Enrollment, and_(*_selected(t)))
            .where(was_present(t.c.training_id, Enrollment.household_id),
                   Enrollment.household_id.not_in(deleted))
            .cte("trained_enrollment").prefix_with("MATERIALIZED"))


def _per_level(rows, breakdowns: Sequence[str], columns: Sequence[Any] = ()):  # noqa: ANN001, ANN202
    """(level, k, household_id, *columns) of `rows`, once per unit of each breakdown."""
    return _distinct([select(literal(by).label("level"), _key(rows, by).label("k"), rows.c.household_id, *columns)
                      for by in breakdowns])


def _trained(t, breakdowns: Sequence[str]):  # noqa: ANN001, ANN202
    """(level, k, household_id): every trained household once per unit of each breakdown (a CTE)."""
    return _per_level(_trained_enrollments(t), breakdowns).cte("trained")


def _distinct(selects: list[Any]):  # noqa: ANN202
    """The distinct rows of one or more selects of the same columns."""
    return selects[0].distinct() if len(selects) == 1 else union(*selects)


def trained_households(area: ColumnElement[bool], filters: Filters, by: str):  # noqa: ANN202
    """(k, household_id) of every trained household, once per unit (a subquery)."""
    trained = _trained(trainings_in_scope(area, filters), [by])
    return select(trained.c.k, trained.c.household_id).subquery("trained_households")


def _kind_rank():  # noqa: ANN202
    return case({kind: n for n, kind in enumerate(SURVEY_KINDS)}, value=Survey.kind, else_=-1)


def with_answers(rows, kinds: Sequence[str], name: str, only_flags: bool = False):  # noqa: ANN001, ANN202
    """`rows` (distinct rows with a `household_id`) each with what the household's surveys say (a
    subquery; a household has at most one survey of each kind, so each column reads one survey):

    * `answer`: its latest follow-up survey that answers whether it practises the trade, as
      (rank of the kind + 1) × 2, + 1 when the answer is yes; NULL when no follow-up answers yet;
    * `before`: the baseline's annual income;
    * for each follow-up kind of `kinds`, `after_<kind>`: that survey's annual income when the
      household says it practises the trade (NULL otherwise);
    * `spending`: its latest follow-up survey that gives both an income and expenses, as (rank of
      the kind + 1) × 2, + 1 when the income exceeds the expenses; NULL when none does;
    * `savings_before`: the baseline's savings; `savings_after`: the savings of its latest follow-up
      survey that gives them;
    * for each kind of `kinds`, `has_<kind>`: whether that survey exists (with `only_flags`, the
      only columns added: what progress needs).

    The surveys are reached from each row through the survey table's index, never by joining two
    computed sets (which SQLite, lacking an index on either, may do row by row).
    """
    practising = case((Survey.practising_trade == True, 1), else_=0)  # noqa: E712
    answer = case((and_(Survey.kind != "baseline", Survey.practising_trade.is_not(None)),
                   (_kind_rank() + 1) * 2 + practising))
    follow_up = Survey.kind != "baseline"
    earns_more = case((Survey.annual_income > Survey.annual_expenses, 1), else_=0)
    spending = case((and_(follow_up, Survey.annual_income.is_not(None), Survey.annual_expenses.is_not(None)),
                     (_kind_rank() + 1) * 2 + earns_more))
    # The latest follow-up's savings: the first given of the kinds from the latest back.
    savings_after = func.coalesce(*[func.max(case((Survey.kind == kind, Survey.savings)))
                                    for kind in reversed(FOLLOW_UP_KINDS)])
    columns = [] if only_flags else [
        func.max(answer).label("answer"),
        func.max(case((Survey.kind == "baseline", Survey.annual_income))).label("before"),
        func.max(spending).label("spending"),
        func.max(case((Survey.kind == "baseline", Survey.savings))).label("savings_before"),
        savings_after.label("savings_after")]
    for kind in kinds:
        if kind != "baseline" and not only_flags:
            columns.append(func.max(case((and_(Survey.kind == kind, Survey.practising_trade == True),  # noqa: E712
                                          Survey.annual_income))).label(f"after_{kind}"))
        columns.append(func.count(case((Survey.kind == kind, 1))).label(f"has_{kind}"))
    keys = list(rows.c)
    return (select(*keys, *columns).select_from(rows)
            .outerjoin(Survey, and_(Survey.household_id == rows.c.household_id, Survey.deleted == false(),
                                    complete_survey()))
            .group_by(*keys).subquery(name))


def answered_yes(answers) -> ColumnElement[bool]:  # noqa: ANN001
    """The household's latest answer is that it practises the trade."""
    return answers.c.answer % 2 == 1


def earns_more(answers) -> ColumnElement[bool]:  # noqa: ANN001
    """The household's latest follow-up giving income and expenses says it earns more than it spends."""
    return answers.c.spending % 2 == 1


def savings_known(answers) -> ColumnElement[bool]:  # noqa: ANN001
    """The household's savings are given in the baseline and in a follow-up."""
    return and_(answers.c.savings_before.is_not(None), answers.c.savings_after.is_not(None))


def savings_rising(answers) -> ColumnElement[bool]:  # noqa: ANN001
    """The savings of the household's latest follow-up that gives them exceed the baseline's."""
    return and_(savings_known(answers), answers.c.savings_after > answers.c.savings_before)


def income_pairs(trained, kind: str):  # noqa: ANN001, ANN202
    """(k, household_id, before, after, change %) of trained households practising at round `kind`,
    with an income in the baseline and in that round (a subquery)."""
    answers = with_answers(trained, [kind], "answers")
    after = answers.c[f"after_{kind}"]
    return (select(answers.c.k, answers.c.household_id, answers.c.before.label("before"), after.label("after"),
                   _change(answers.c.before, after).label("change"))
            .where(answers.c.before.is_not(None), after.is_not(None))
            .subquery(f"income_{kind}"))


def _change(before, after):  # noqa: ANN001, ANN202
    """A household's change in percent; NULL for a zero baseline (it has no percentage of its own)."""
    return case((before > 0, (after - before) * 100.0 / before))


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
    days: dict[int, Day] = field(default_factory=lambda: {d: Day() for d in DAYS})
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
    return progress_tables(db, area=area, filters=filters, breakdowns=[by], today=today,
                           follow_up_months=follow_up_months, five_k_codes=five_k_codes)[by]


def _training_progress(t, *, today: dt.date, kinds: Sequence[str], fiscal_year: int):  # noqa: ANN001, ANN202
    """One row per training in scope with everything progress adds up: its village's team size,
    enrollments, trained households, presence and held days, the date of its last day, surveys done."""
    # One row per enrollment, from the tables' indexes: whether the household was marked present on
    # any day of its training (trained, if selected) and on each day held by `today`, then what its
    # surveys say.
    marked = Attendance.household_id.is_not(None)
    marks = (select(Enrollment.training_id, Enrollment.household_id, Enrollment.status,
                    func.max(case((marked, 1), else_=0)).label("present"),
                    *[func.max(case((and_(marked, TrainingSession.day == d, TrainingSession.date <= today), 1),
                                    else_=0)).label(f"day{d}") for d in DAYS])
             .select_from(t)
             .join(Enrollment, and_(Enrollment.training_id == t.c.training_id, Enrollment.deleted == false()))
             .outerjoin(TrainingSession, TrainingSession.training_id == Enrollment.training_id)
             .outerjoin(Attendance, and_(Attendance.session_id == TrainingSession.id,
                                         Attendance.household_id == Enrollment.household_id, *_present_mark()))
             .group_by(Enrollment.training_id, Enrollment.household_id, Enrollment.status)
             .subquery("marks"))
    enrolled = with_answers(marks, kinds, "enrolled", only_flags=True)
    selected = enrolled.c.status == "selected"
    trained = and_(selected, enrolled.c.present == 1)
    stats = (select(enrolled.c.training_id,
                    func.count(case((selected, 1))).label("selected"),
                    func.count(case((enrolled.c.status == "withdrawn", 1))).label("withdrawn"),
                    func.count(case((trained, 1))).label("trained"),
                    *[func.count(case((and_(selected, enrolled.c[f"day{d}"] == 1), 1))).label(f"present{d}")
                      for d in DAYS],
                    *[func.count(case((and_(selected if kind == "baseline" else trained,
                                            enrolled.c[f"has_{kind}"] > 0), 1))).label(f"done_{kind}")
                      for kind in kinds])
             .group_by(enrolled.c.training_id).subquery("enrollment_stats"))
    days = (select(TrainingSession.training_id,
                   *[func.max(case((and_(TrainingSession.day == d, TrainingSession.date <= today), 1), else_=0))
                     .label(f"held{d}") for d in DAYS],
                   func.max(case((TrainingSession.day == TRAINING_DAYS, TrainingSession.date))).label("last_day"))
            .where(TrainingSession.training_id.in_(select(t.c.training_id)), TrainingSession.deleted == false())
            .group_by(TrainingSession.training_id).subquery("days"))
    members = select(func.count()).where(TeamMember.team_id == TrainerTeam.id).scalar_subquery()
    team_size = (select(case((TrainerTeam.lead_sage_id.is_not(None), 1), else_=0) + members)
                 .where(TrainerTeam.village_id == t.c.village_id, TrainerTeam.fiscal_year == fiscal_year,
                        TrainerTeam.deleted == false())
                 .scalar_subquery())
    counts = [c for c in stats.c if c.name != "training_id"]
    flags = [c for c in days.c if c.name != "training_id"]
    return (select(t.c.training_id, t.c.village_id, t.c.vcode, t.c.occ, team_size.label("team_size"), *counts, *flags)
            .select_from(t)
            .outerjoin(stats, stats.c.training_id == t.c.training_id)
            .outerjoin(days, days.c.training_id == t.c.training_id))


def progress_tables(db: Session, *, area: ColumnElement[bool], filters: Filters, breakdowns: Sequence[str],
                    today: dt.date, follow_up_months: list[int],
                    five_k_codes: list[str]) -> dict[str, dict[str, Progress]]:
    """`progress` for several breakdowns at once (a page's units and its total), read in one pass."""
    _check(breakdowns)
    rounds = round_kinds(follow_up_months)
    kinds = ["baseline", *rounds]
    cutoffs = {kind: months_before(today, ROUND_MONTHS[kind]) for kind in rounds}
    t = trainings_in_scope(area, filters)
    tables: dict[str, dict[str, Progress]] = {by: {} for by in breakdowns}
    prepare(db)
    villages: dict[tuple[str, str], set[str]] = {}

    for r in db.exec(_training_progress(t, today=today, kinds=kinds, fiscal_year=filters.fiscal_year)):
        for by in breakdowns:
            k = unit_key(by, r.vcode, r.occ)
            p = tables[by].get(k)
            if p is None:
                p = tables[by][k] = Progress(key=k, surveys={kind: Round() for kind in kinds})
            p.trainings += 1
            p.selected += r.selected or 0
            p.withdrawn += r.withdrawn or 0
            seen = villages.setdefault((by, k), set())
            if r.village_id not in seen:
                seen.add(r.village_id)
                p.villages += 1
                if r.team_size is not None:
                    p.team_size += r.team_size
                    p.teams_complete += r.team_size >= TEAM_SIZE
            for d in DAYS:
                if getattr(r, f"held{d}"):
                    day = p.days[d]
                    day.held += 1
                    day.expected += r.selected or 0
                    day.present += getattr(r, f"present{d}") or 0
            baseline = p.surveys["baseline"]
            baseline.due += r.selected or 0
            baseline.done += r.done_baseline or 0
            for kind in rounds:
                # A round is due for a trained household once its training's last day is that old.
                if r.last_day is not None and r.last_day <= cutoffs[kind]:
                    p.surveys[kind].due += r.trained or 0
                    p.surveys[kind].done += getattr(r, f"done_{kind}") or 0

    # Groups of the target villages and their latest 5 ก assessment.
    latest = (select(FiveKAssessment.group_id, func.max(FiveKAssessment.id).label("id"))
              .group_by(FiveKAssessment.group_id).subquery("latest"))
    groups: dict[str, list[dict[str, Any] | None]] = {}
    for village_id, scores in db.exec(
            select(OccupationGroup.village_id, FiveKAssessment.scores)
            .outerjoin(latest, latest.c.group_id == OccupationGroup.id)
            .outerjoin(FiveKAssessment, FiveKAssessment.id == latest.c.id)
            .where(OccupationGroup.village_id.in_(select(t.c.village_id)), OccupationGroup.deleted == false())):
        groups.setdefault(village_id, []).append(scores)
    for (by, k), ids in villages.items():
        p = tables[by][k]
        for village_id in ids:
            for scores in groups.get(village_id, ()):
                p.groups += 1
                if scores is not None:
                    p.groups_assessed += 1
                    if five_k_codes and all(scores.get(code) for code in five_k_codes):
                        p.groups_ready += 1
    return tables


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
    spending_known: int = 0  # trained households with a follow-up giving income and expenses
    earning_more: int = 0  # of those, the latest such follow-up's income exceeds its expenses
    savings_known: int = 0  # trained households with savings in the baseline and a follow-up
    savings_rising: int = 0  # of those, the latest follow-up's savings exceed the baseline's

    @property
    def earning_more_share(self) -> float | None:
        return percent(self.earning_more, self.spending_known)

    @property
    def savings_rising_share(self) -> float | None:
        return percent(self.savings_rising, self.savings_known)

    @property
    def awaiting_follow_up(self) -> int:
        return self.trained - self.followed_up

    @property
    def practising_share(self) -> float | None:
        return percent(self.practising, self.followed_up)

    @property
    def group_share(self) -> float | None:
        return percent(self.villages_with_group, self.villages)


def outcomes(db: Session, *, area: ColumnElement[bool], filters: Filters, by: str,
             follow_up_months: list[int]) -> dict[str, Outcome]:
    """The department's indicators per unit, each with the number of households or villages behind it."""
    return outcome_tables(db, area=area, filters=filters, breakdowns=[by], follow_up_months=follow_up_months)[by]


def _household_figures(t, breakdowns: Sequence[str], kinds: Sequence[str]):  # noqa: ANN001, ANN202
    """One row per unit of every breakdown: (level, k, trained, followed_up, practising, spending_known,
    earning_more, savings_known, savings_rising) and, for each follow-up kind, `<kind>_households`, `_before`, `_after`, `_zero` and `_median` (one pass)."""
    facts = with_answers(_trained_enrollments(t), kinds, "answered")
    facts = select(facts).cte("facts")
    answers = [facts.c.answer, facts.c.before, facts.c.spending, facts.c.savings_before, facts.c.savings_after,
               *[facts.c[f"after_{kind}"] for kind in kinds]]
    # A household's answers are the same in every unit it is counted in: they go along with it.
    trained = _per_level(facts, breakdowns, answers).subquery("trained")
    columns = [trained.c.level, trained.c.k, func.count().label("trained"),
               func.count(trained.c.answer).label("followed_up"),
               func.count(case((answered_yes(trained), 1))).label("practising"),
               func.count(trained.c.spending).label("spending_known"),
               func.count(case((earns_more(trained), 1))).label("earning_more"),
               func.count(case((savings_known(trained), 1))).label("savings_known"),
               func.count(case((savings_rising(trained), 1))).label("savings_rising")]
    for kind in kinds:
        before, after = trained.c.before, trained.c[f"after_{kind}"]
        pair = and_(before.is_not(None), after.is_not(None))
        columns += [func.count(case((pair, 1))).label(f"{kind}_households"),
                    func.sum(case((pair, before))).label(f"{kind}_before"),
                    func.sum(case((pair, after))).label(f"{kind}_after"),
                    func.count(case((and_(pair, before == 0), 1))).label(f"{kind}_zero"),
                    median(case((pair, _change(before, after)))).label(f"{kind}_median")]
    return select(*columns).group_by(trained.c.level, trained.c.k)


def outcome_tables(db: Session, *, area: ColumnElement[bool], filters: Filters, breakdowns: Sequence[str],
                   follow_up_months: list[int]) -> dict[str, dict[str, Outcome]]:
    """`outcomes` for several breakdowns at once (a page's units and its total), each household read once."""
    _check(breakdowns)
    kinds = round_kinds(follow_up_months)
    tables: dict[str, dict[str, Outcome]] = {by: {} for by in breakdowns}

    def row(by: str, k: str) -> Outcome:
        if k not in tables[by]:
            tables[by][k] = Outcome(key=k, income={kind: Income() for kind in kinds})
        return tables[by][k]

    t = trainings_in_scope(area, filters)
    prepare(db)
    for figures in db.exec(_household_figures(t, breakdowns, kinds)).mappings():
        r = row(figures["level"], figures["k"])
        r.trained, r.followed_up, r.practising = figures["trained"], figures["followed_up"], figures["practising"]
        r.spending_known, r.earning_more = figures["spending_known"], figures["earning_more"]
        r.savings_known, r.savings_rising = figures["savings_known"], figures["savings_rising"]
        for kind in kinds:
            middle = figures[f"{kind}_median"]
            r.income[kind] = Income(households=figures[f"{kind}_households"],
                                    before_total=int(figures[f"{kind}_before"] or 0),
                                    after_total=int(figures[f"{kind}_after"] or 0),
                                    zero_baseline=figures[f"{kind}_zero"],
                                    median_change=None if middle is None else float(middle))

    units = _distinct([select(literal(by).label("level"), _key(t, by).label("k"), t.c.village_id)
                       for by in breakdowns]).subquery("units")
    with_group = exists(select(OccupationGroup.id).where(OccupationGroup.village_id == units.c.village_id,
                                                         OccupationGroup.deleted == false()))
    for level, k, villages, grouped in db.exec(
            select(units.c.level, units.c.k, func.count(), func.count(case((with_group, 1))))
            .group_by(units.c.level, units.c.k)):
        r = row(level, k)
        r.villages, r.villages_with_group = villages, grouped
    return tables


# --- the median, an aggregate -----------------------------------------------------------------------

class median(FunctionElement):  # noqa: N801 (an SQL function)
    """The median of the non-NULL values of a group (the mean of the two middle ones when their
    number is even; NULL when there are none)."""

    type = Float()
    name = "median"
    inherit_cache = True


@compiles(median, "postgresql")
def _median_postgresql(element, compiler, **kw) -> str:  # noqa: ANN001
    return f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {compiler.process(element.clauses, **kw)})"


@compiles(median)
def _median_default(element, compiler, **kw) -> str:  # noqa: ANN001
    return f"sammachip_median({compiler.process(element.clauses, **kw)})"


class _Median:
    """SQLite has no median: the same aggregate in Python, registered on the connection."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        values = sorted(self.values)
        n = len(values)
        if not n:
            return None
        return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def prepare(db: Session) -> None:
    """Ready this session's transaction for report queries.

    PostgreSQL, for this transaction only: no JIT compilation (for these plans it costs about a
    second, more than running them), and room to sort and hash a whole country's households in
    memory rather than on disk. SQLite: the `median` aggregate, once per connection.
    """
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL jit = off")
        connection.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    elif connection.dialect.name == "sqlite" and not connection.info.get("sammachip_median"):
        connection.connection.driver_connection.create_aggregate("sammachip_median", 1, _Median)
        connection.info["sammachip_median"] = True


def by_unit_order(rows: dict[str, Any]) -> list[Any]:
    return [rows[k] for k in sorted(rows)]
