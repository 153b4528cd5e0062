"""A district's figures, lists and exports read the district through indexes: SQLite's query plans
never scan a whole table of the program, nor loop over one computed set for each row of another
(what made a district's outcomes take seconds). Plans, not timings: they do not depend on the
machine. SQLite plans from the schema alone (no statistics), so a small program shows them."""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import pytest
from sqlalchemy import true
from sqlalchemy.dialects import sqlite
from sqlmodel import Session

from server.core.db import make_engine
from server.core.migrate import upgrade
from server.reports import exports, figures
from server.reports import behind_figures as records
from server.reports.scale import seed_scale
from server.reports.report_area import Filters

TODAY = dt.date(2027, 9, 1)
DISTRICT = Filters(fiscal_year=2570, area="1001")
PROGRAM_TABLES = ("village", "training", "training_session", "enrollment", "household", "attendance", "survey",
                  "occupation_group", "trainer_team", "team_member")


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory):  # noqa: ANN001, ANN201
    url = f"sqlite:///{tmp_path_factory.mktemp('plans') / 'plans.db'}"
    upgrade(url)
    engine = make_engine(url)
    seed_scale(engine, villages=120, households_per_village=2, years=1, today=TODAY)
    yield engine
    engine.dispose()


def plan(engine, statement) -> list[tuple[int, int, str]]:  # noqa: ANN001
    compiled = statement.compile(dialect=sqlite.dialect())
    with Session(engine) as db:
        figures.prepare(db)
        cursor = db.connection().connection.driver_connection.cursor()
        rows = cursor.execute("EXPLAIN QUERY PLAN " + str(compiled),
                              [compiled.params[k] for k in compiled.positiontup]).fetchall()
    return [(node, parent, detail) for node, parent, _unused, detail in rows]


def problems(steps: list[tuple[int, int, str]]) -> list[str]:
    """Full scans of the program's tables, and scans looped inside another loop (row by row)."""
    found = []
    loops: dict[int, int] = defaultdict(int)
    for _node, parent, detail in steps:
        if re.match(r"(SCAN|SEARCH) ", detail):
            table = detail.split()[1]
            if detail.startswith("SCAN ") and table in PROGRAM_TABLES:
                found.append(f"whole table: {detail}")
            elif detail.startswith("SCAN ") and loops[parent]:
                found.append(f"row by row: {detail}")
            loops[parent] += 1
    return found


STATEMENTS = {
    "outcomes by village": lambda t: figures._household_figures(t, ["village"], figures.round_kinds([3, 6, 12])),
    "outcomes by subdistrict and total": lambda t: figures._household_figures(
        t, ["subdistrict", "total"], figures.round_kinds([3, 6, 12])),
    "outcomes by trade and total": lambda t: figures._household_figures(
        t, ["occupation", "total"], figures.round_kinds([3, 6, 12])),
    "progress": lambda t: figures._training_progress(t, today=TODAY, kinds=["baseline", "after_training"],
                                                     fiscal_year=2570),
}


@pytest.mark.parametrize("name", STATEMENTS)
def test_a_districts_figures_are_read_through_indexes(sqlite_engine, name):
    steps = plan(sqlite_engine, STATEMENTS[name](figures.trainings_in_scope(true(), DISTRICT)))
    assert any("USING INDEX ix_training_year_village" in d for _n, _p, d in steps)
    assert problems(steps) == []


@pytest.mark.parametrize("what", ["trained", "practising", "awaiting", "income:after_training",
                                  "missing:after_training"])
def test_the_households_behind_a_figure_are_read_through_indexes(sqlite_engine, what):
    ids = records._household_ids(true(), DISTRICT, what, TODAY)
    assert problems(plan(sqlite_engine, ids)) == []


@pytest.mark.parametrize("dataset", list(exports.DATASETS))
def test_a_districts_exports_are_read_through_indexes(sqlite_engine, dataset):
    _headers, query, _row = exports.DATASETS[dataset](exports.Request(area=true(), filters=DISTRICT,
                                                                      full_citizen_ids=False))
    assert problems(plan(sqlite_engine, query)) == []
