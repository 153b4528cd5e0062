"""The figures' SQL against the definitions read plainly in Python, on a generated program full of
the cases that break aggregates: deleted households, days, marks, surveys, enrollments, trainings
and groups; withdrawals; households in two trainings; zero, missing and unanswered incomes;
undated and future days. Every breakdown, area, trade filter and fiscal year must agree."""
from __future__ import annotations

import datetime as dt
import random
import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select, true, update
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
from server.reports import behind_figures as records
from server.reports.figures import (
    BREAKDOWNS,
    ROUND_MONTHS,
    months_before,
    outcome_tables,
    progress_tables,
    round_kinds,
    unit_key,
)
from server.reports.scale import seed_scale
from server.reports.report_area import Filters
from server.program.rules import TEAM_SIZE

TODAY = dt.date(2027, 9, 1)
YEARS = (2569, 2570)
MONTHS = [3, 6, 12]
FIVE_K = ["members", "committee", "rules", "activities", "fund"]


def _mark_some(db: Session, model, share: float, rng: random.Random, **values) -> None:  # noqa: ANN001
    ids = [i for (i,) in db.exec(select(model.id).order_by(model.id)) if rng.random() < share]
    if ids:
        db.execute(update(model).where(model.id.in_(ids)).values(**values))


@pytest.fixture
def generated(engine, monkeypatch):  # noqa: ANN001, ANN201
    """Two districts' worth of program over two years, then broken in every way the figures meet.

    Record ids come from a seeded generator, so the same program (and the same damage, chosen in id
    order) is made on every run and every database: each figure below rests on some households.
    """
    ids = random.Random(3414)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=ids.getrandbits(128), version=4))
    seed_scale(engine, villages=120, households_per_village=6, years=2, today=TODAY)
    rng = random.Random(11)
    with Session(engine) as db:
        for model, share in ((Attendance, 0.04), (Survey, 0.04), (Household, 0.02), (TrainingSession, 0.02),
                             (Enrollment, 0.02), (OccupationGroup, 0.15), (Training, 0.02), (Village, 0.02)):
            _mark_some(db, model, share, rng, deleted=True)
        _mark_some(db, Enrollment, 0.05, rng, status="withdrawn")
        _mark_some(db, Survey, 0.04, rng, annual_income=None, income_unknown=True)  # said "not known"
        _mark_some(db, Survey, 0.04, rng, practising_trade=None)
        for (survey_id,) in db.exec(select(Survey.id).where(Survey.kind == "baseline").order_by(Survey.id)):
            if rng.random() < 0.06:
                db.execute(update(Survey).where(Survey.id == survey_id).values(annual_income=0))
        _mark_some(db, TrainingSession, 0.03, rng, date=None)
        _mark_some(db, TrainingSession, 0.03, rng, date=dt.date(2031, 1, 1))
        # A second trade in some villages, taught to some of the first training's households.
        for training in list(db.exec(select(Training).order_by(Training.id)).scalars()):
            if rng.random() > 0.15:
                continue
            second = Training(village_id=training.village_id, fiscal_year=training.fiscal_year,
                              occupation="other" if training.occupation != "other" else "orchard")
            db.add(second)
            db.flush()
            sessions = []
            for old in db.exec(select(TrainingSession).where(TrainingSession.training_id == training.id)).scalars():
                session = TrainingSession(training_id=second.id, day=old.day, kind=old.kind, date=old.date)
                db.add(session)
                sessions.append(session)
            db.flush()
            first_households = select(Enrollment.household_id).where(Enrollment.training_id == training.id)
            for (household_id,) in db.exec(first_households):
                if rng.random() < 0.5:
                    continue
                db.add(Enrollment(training_id=second.id, household_id=household_id, occupation=second.occupation,
                                  status="selected" if rng.random() < 0.9 else "withdrawn"))
                for session in sessions:
                    if rng.random() < 0.6:
                        db.add(Attendance(session_id=session.id, household_id=household_id,
                                          present=rng.random() < 0.7))
        db.commit()
    return engine


# --- the definitions, read plainly ----------------------------------------------------------------

@dataclass
class World:
    villages: dict[str, Village]
    trainings: list[Training]
    enrollments: dict[str, list[Enrollment]] = field(default_factory=lambda: defaultdict(list))
    household_deleted: dict[str, bool] = field(default_factory=dict)
    sessions: dict[str, list[TrainingSession]] = field(default_factory=lambda: defaultdict(list))
    present: set[tuple[str, str]] = field(default_factory=set)  # (session_id, household_id)
    surveys: dict[str, dict[str, Survey]] = field(default_factory=lambda: defaultdict(dict))
    groups: dict[str, list[OccupationGroup]] = field(default_factory=lambda: defaultdict(list))
    latest_scores: dict[str, dict] = field(default_factory=dict)
    team_sizes: dict[tuple[str, int], int] = field(default_factory=dict)


def load(engine) -> World:  # noqa: ANN001
    with Session(engine) as db:
        world = World(villages={v.id: v for v in db.exec(select(Village)).scalars()},
                      trainings=list(db.exec(select(Training)).scalars()))
        for e in db.exec(select(Enrollment).where(Enrollment.deleted == False)).scalars():  # noqa: E712
            world.enrollments[e.training_id].append(e)
        world.household_deleted = dict(db.exec(select(Household.id, Household.deleted)).all())
        for s in db.exec(select(TrainingSession).where(TrainingSession.deleted == False)).scalars():  # noqa: E712
            world.sessions[s.training_id].append(s)
        world.present = {tuple(r) for r in db.exec(select(Attendance.session_id, Attendance.household_id)
                                                   .where(Attendance.deleted == False,  # noqa: E712
                                                          Attendance.present == True))}  # noqa: E712
        for s in db.exec(select(Survey).where(Survey.deleted == False)).scalars():  # noqa: E712
            world.surveys[s.household_id][s.kind] = s
        for g in db.exec(select(OccupationGroup).where(OccupationGroup.deleted == False)).scalars():  # noqa: E712
            world.groups[g.village_id].append(g)
        for a in db.exec(select(FiveKAssessment).order_by(FiveKAssessment.id)).scalars():
            world.latest_scores[a.group_id] = a.scores
        members = defaultdict(int)
        for (team_id,) in db.exec(select(TeamMember.team_id)):
            members[team_id] += 1
        for team in db.exec(select(TrainerTeam).where(TrainerTeam.deleted == False)).scalars():  # noqa: E712
            world.team_sizes[(team.village_id, team.fiscal_year)] = (team.lead_sage_id is not None) + members[team.id]
        db.expunge_all()
    return world


def in_scope(world: World, filters: Filters) -> list[Training]:
    return [t for t in world.trainings
            if t.fiscal_year == filters.fiscal_year and not t.deleted and not world.villages[t.village_id].deleted
            and world.villages[t.village_id].code.startswith(filters.area)
            and (filters.occupation is None or t.occupation == filters.occupation)]


def key(world: World, by: str, training: Training) -> str:
    return unit_key(by, world.villages[training.village_id].code, training.occupation)


def attended(world: World, training: Training, household_id: str) -> bool:
    return any((s.id, household_id) in world.present for s in world.sessions[training.id])


def latest_answer(world: World, household_id: str) -> bool | None:
    answers = [(SURVEY_KINDS.index(kind), s.practising_trade) for kind, s in world.surveys[household_id].items()
               if kind != "baseline" and s.practising_trade is not None]
    return max(answers)[1] if answers else None


def expected_outcomes(world: World, filters: Filters, by: str) -> dict[str, dict]:
    trained: dict[str, set[str]] = defaultdict(set)
    villages: dict[str, set[str]] = defaultdict(set)
    for t in in_scope(world, filters):
        k = key(world, by, t)
        villages[k].add(t.village_id)
        for e in world.enrollments[t.id]:
            if e.status == "selected" and not world.household_deleted[e.household_id] \
                    and attended(world, t, e.household_id):
                trained[k].add(e.household_id)
    out = {}
    for k in villages:
        answers = [latest_answer(world, h) for h in trained[k]]
        unit = {"trained": len(trained[k]), "followed_up": sum(a is not None for a in answers),
                "practising": sum(a is True for a in answers), "villages": len(villages[k]),
                "villages_with_group": sum(bool(world.groups[v]) for v in villages[k]), "income": {}}
        for kind in round_kinds(MONTHS):
            pairs = []
            for h in trained[k]:
                base, after = world.surveys[h].get("baseline"), world.surveys[h].get(kind)
                if base and after and base.annual_income is not None and after.annual_income is not None \
                        and after.practising_trade is True:
                    pairs.append((base.annual_income, after.annual_income))
            changes = [(a - b) * 100.0 / b for b, a in pairs if b > 0]
            unit["income"][kind] = {"households": len(pairs), "before_total": sum(b for b, _a in pairs),
                                    "after_total": sum(a for _b, a in pairs),
                                    "zero_baseline": sum(b == 0 for b, _a in pairs),
                                    "median_change": statistics.median(changes) if changes else None}
        out[k] = unit
    return out


def expected_progress(world: World, filters: Filters, by: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    seen: dict[str, set[str]] = defaultdict(set)
    for t in in_scope(world, filters):
        k = key(world, by, t)
        unit = out.setdefault(k, {"villages": 0, "trainings": 0, "teams_complete": 0, "team_size": 0, "selected": 0,
                                  "withdrawn": 0, "days": {d: [0, 0, 0] for d in range(1, 6)},
                                  "surveys": {kind: [0, 0] for kind in ["baseline", *round_kinds(MONTHS)]},
                                  "groups": 0, "groups_assessed": 0, "groups_ready": 0})
        unit["trainings"] += 1
        if t.village_id not in seen[k]:
            seen[k].add(t.village_id)
            unit["villages"] += 1
            size = world.team_sizes.get((t.village_id, t.fiscal_year))
            unit["team_size"] += size or 0
            unit["teams_complete"] += size is not None and size >= TEAM_SIZE
            for g in world.groups[t.village_id]:
                scores = world.latest_scores.get(g.id)
                unit["groups"] += 1
                unit["groups_assessed"] += scores is not None
                unit["groups_ready"] += scores is not None and all(scores.get(c) for c in FIVE_K)
        selected = [e for e in world.enrollments[t.id] if e.status == "selected"]
        unit["selected"] += len(selected)
        unit["withdrawn"] += sum(e.status == "withdrawn" for e in world.enrollments[t.id])
        for s in world.sessions[t.id]:
            if s.date is not None and s.date <= TODAY:
                day = unit["days"][s.day]
                day[0] += 1
                day[1] += len(selected)
                day[2] += sum((s.id, e.household_id) in world.present for e in selected)
        unit["surveys"]["baseline"][0] += len(selected)
        unit["surveys"]["baseline"][1] += sum("baseline" in world.surveys[e.household_id] for e in selected)
        last = next((s.date for s in world.sessions[t.id] if s.day == 5), None)
        for kind in round_kinds(MONTHS):
            if last is not None and last <= months_before(TODAY, ROUND_MONTHS[kind]):
                due = [e for e in selected if attended(world, t, e.household_id)]
                unit["surveys"][kind][0] += len(due)
                unit["surveys"][kind][1] += sum(kind in world.surveys[e.household_id] for e in due)
    return out


def as_plain_outcome(o) -> dict:  # noqa: ANN001
    return {"trained": o.trained, "followed_up": o.followed_up, "practising": o.practising, "villages": o.villages,
            "villages_with_group": o.villages_with_group,
            "income": {kind: {"households": i.households, "before_total": i.before_total, "after_total": i.after_total,
                              "zero_baseline": i.zero_baseline,
                              "median_change": None if i.median_change is None else pytest.approx(i.median_change)}
                       for kind, i in o.income.items()}}


def as_plain_progress(p) -> dict:  # noqa: ANN001
    return {"villages": p.villages, "trainings": p.trainings, "teams_complete": p.teams_complete,
            "team_size": p.team_size, "selected": p.selected, "withdrawn": p.withdrawn,
            "days": {d: [day.held, day.expected, day.present] for d, day in p.days.items()},
            "surveys": {kind: [r.due, r.done] for kind, r in p.surveys.items()},
            "groups": p.groups, "groups_assessed": p.groups_assessed, "groups_ready": p.groups_ready}


SCOPES = [("", None), ("10", None), ("1002", None), ("100103", None), ("", "other")]


@pytest.mark.parametrize("year", YEARS)
def test_outcomes_and_progress_agree_with_the_definitions(generated, year):
    world = load(generated)
    for area, occupation in SCOPES:
        filters = Filters(fiscal_year=year, area=area, occupation=occupation)
        with Session(generated) as db:
            outcomes = outcome_tables(db, area=true(), filters=filters, breakdowns=BREAKDOWNS, follow_up_months=MONTHS)
            progress = progress_tables(db, area=true(), filters=filters, breakdowns=BREAKDOWNS, today=TODAY,
                                       follow_up_months=MONTHS, five_k_codes=FIVE_K)
        for by in BREAKDOWNS:
            expected = expected_outcomes(world, filters, by)
            assert expected, (area, occupation, by)
            assert {k: as_plain_outcome(o) for k, o in outcomes[by].items()} == expected, (area, occupation, by)
            assert {k: as_plain_progress(p) for k, p in progress[by].items()} == \
                expected_progress(world, filters, by), (area, occupation, by)


def test_the_households_behind_each_figure_agree_with_the_definitions(generated):
    world = load(generated)
    filters = Filters(fiscal_year=2569, area="1001")
    scope = in_scope(world, filters)
    trained = {e.household_id for t in scope for e in world.enrollments[t.id]
               if e.status == "selected" and not world.household_deleted[e.household_id]
               and attended(world, t, e.household_id)}
    expected = {"trained": trained,
                "practising": {h for h in trained if latest_answer(world, h) is True},
                "awaiting": {h for h in trained if latest_answer(world, h) is None}}
    for kind in round_kinds(MONTHS):
        expected[f"income:{kind}"] = {
            h for h in trained if (b := world.surveys[h].get("baseline")) and (a := world.surveys[h].get(kind))
            and b.annual_income is not None and a.annual_income is not None and a.practising_trade is True}
    for what, households in expected.items():
        with Session(generated) as db:
            page = records.households(db, area=true(), filters=filters, what=what, today=TODAY, limit=100_000)
        assert households and {row[0].id for row in page.rows} == households, what
        assert page.total == len(households), what

    # Surveys due and not done: a row per selected enrollment (a household in two trainings twice).
    for kind in ["baseline", *round_kinds(MONTHS)]:
        missing = []
        for t in scope:
            last = next((s.date for s in world.sessions[t.id] if s.day == 5), None)
            if kind != "baseline" and (last is None or last > months_before(TODAY, ROUND_MONTHS[kind])):
                continue
            missing += [e.household_id for e in world.enrollments[t.id]
                        if e.status == "selected" and not world.household_deleted[e.household_id]
                        and (kind == "baseline" or attended(world, t, e.household_id))
                        and kind not in world.surveys[e.household_id]]
        with Session(generated) as db:
            page = records.households(db, area=true(), filters=filters, what=f"missing:{kind}", today=TODAY,
                                      limit=100_000)
        assert missing and sorted(row[0].id for row in page.rows) == sorted(missing), kind
