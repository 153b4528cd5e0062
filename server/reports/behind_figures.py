"""The records behind a figure: the households (or villages) a number on a report counts, a page at a time."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, exists, false, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from server.models import Enrollment, Household, OccupationGroup, Survey, TrainingSession, Village
from server.models.program import SURVEY_KINDS
from server.program.rules import complete_survey
from server.reports.figures import (
    ROUND_MONTHS,
    TRAINING_DAYS,
    answered_yes,
    earns_more,
    income_pairs,
    months_before,
    prepare,
    round_kinds,
    savings_known,
    savings_rising,
    trained_households,
    trainings_in_scope,
    was_present,
    with_answers,
)
from server.reports.report_area import Filters

HOUSEHOLD_KINDS = ("selected", "withdrawn", "trained", "practising", "awaiting")
# The program's own measure: each figure and its base, listed with the amounts they rest on.
MEASURE_KINDS = ("earning_more", "spending_known", "savings_rising", "savings_known")
VILLAGE_KINDS = ("villages", "with_group", "without_group")


@dataclass
class Page:
    rows: list[Any]
    total: int
    offset: int
    limit: int


def known(what: str, follow_up_months: list[int]) -> bool:
    kind, _, survey = what.partition(":")
    if kind in ("missing", "income"):
        return survey in (["baseline"] if kind == "missing" else []) + round_kinds(follow_up_months)
    return what in HOUSEHOLD_KINDS or what in MEASURE_KINDS or what in VILLAGE_KINDS


def is_village_list(what: str) -> bool:
    return what in VILLAGE_KINDS


def _household_ids(area: ColumnElement[bool], filters: Filters, what: str, today: dt.date):  # noqa: ANN202
    """A select of (household_id,) for the figure `what`, or of (household_id, before, after) for income
    and for the program's measure (income and expenses of the latest follow-up giving both; savings of
    the baseline and of the latest follow-up giving them)."""
    kind, _, survey = what.partition(":")
    if kind == "income":
        pairs = income_pairs(trained_households(area, filters, "total"), survey)
        return select(pairs.c.household_id, pairs.c.before, pairs.c.after)
    if kind in MEASURE_KINDS:
        answers = with_answers(trained_households(area, filters, "total"), [], "answers")
        if kind in ("earning_more", "spending_known"):
            # The survey `spending` points to (a household has one survey of each kind).
            latest = case(*[(answers.c.spending.in_([(n + 1) * 2, (n + 1) * 2 + 1]), k)
                            for n, k in enumerate(SURVEY_KINDS)])
            query = (select(answers.c.household_id, Survey.annual_income.label("before"),
                            Survey.annual_expenses.label("after"))
                     .join(Survey, and_(Survey.household_id == answers.c.household_id, Survey.kind == latest)))
            return query.where(earns_more(answers) if kind == "earning_more" else answers.c.spending.is_not(None))
        query = select(answers.c.household_id, answers.c.savings_before.label("before"),
                           answers.c.savings_after.label("after"))
        return query.where(savings_rising(answers) if kind == "savings_rising" else savings_known(answers))
    t = trainings_in_scope(area, filters)
    if kind in ("selected", "withdrawn"):
        return (select(Enrollment.household_id).select_from(t)
                .join(Enrollment, and_(Enrollment.training_id == t.c.training_id, Enrollment.status == kind,
                                       Enrollment.deleted == false())))
    trained = trained_households(area, filters, "total")
    if kind == "trained":
        return select(trained.c.household_id)
    if kind in ("practising", "awaiting"):
        answers = with_answers(trained, [], "answers")
        query = select(answers.c.household_id)
        if kind == "practising":
            return query.where(answered_yes(answers))
        return query.where(answers.c.answer.is_(None))
    # missing:<kind> — due and not done
    query = (select(Enrollment.household_id).select_from(t)
             .join(Enrollment, and_(Enrollment.training_id == t.c.training_id, Enrollment.status == "selected",
                                    Enrollment.deleted == false())))
    if survey != "baseline":
        cutoff = months_before(today, ROUND_MONTHS[survey])
        last_day_past = exists(select(TrainingSession.id).where(
            TrainingSession.training_id == t.c.training_id, TrainingSession.day == TRAINING_DAYS,
            TrainingSession.deleted == false(), TrainingSession.date <= cutoff))
        query = query.where(last_day_past, was_present(t.c.training_id, Enrollment.household_id))
    return query.where(~exists(select(Survey.id).where(Survey.household_id == Enrollment.household_id,
                                                       Survey.kind == survey, Survey.deleted == false(),
                                                       complete_survey())))


def households(db: Session, *, area: ColumnElement[bool], filters: Filters, what: str, today: dt.date,
               offset: int = 0, limit: int = 100) -> Page:
    """The households behind a figure, in village and house order, `limit` from `offset`."""
    prepare(db)
    ids = _household_ids(area, filters, what, today).subquery("ids")
    income = what.startswith("income:") or what in MEASURE_KINDS
    columns = [Household, Village.code, Village.name]
    if income:
        columns += [ids.c.before, ids.c.after]
    base = (select(*columns).join(ids, ids.c.household_id == Household.id)
            .join(Village, Village.id == Household.village_id).where(Household.deleted == false()))
    total = db.exec(select(func.count()).select_from(base.subquery())).one()[0]
    rows = list(db.exec(base.order_by(Village.code, Household.house_sort, Household.id).offset(offset).limit(limit)))
    return Page(rows=rows, total=total, offset=offset, limit=limit)


def villages(db: Session, *, area: ColumnElement[bool], filters: Filters, what: str,
             offset: int = 0, limit: int = 100) -> Page:
    """Target villages behind a figure: all of them, or those with or without an occupation group."""
    prepare(db)
    t = trainings_in_scope(area, filters)
    has_group = exists(select(OccupationGroup.id).where(OccupationGroup.village_id == Village.id,
                                                        OccupationGroup.deleted == false()))
    base = select(Village).where(Village.id.in_(select(t.c.village_id)))
    if what == "with_group":
        base = base.where(has_group)
    elif what == "without_group":
        base = base.where(~has_group)
    total = db.exec(select(func.count()).select_from(base.subquery())).one()[0]
    rows = list(db.exec(base.order_by(Village.code).offset(offset).limit(limit)).scalars())
    return Page(rows=rows, total=total, offset=offset, limit=limit)
