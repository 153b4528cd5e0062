"""seed-scale: a generated program the figures can read, only into an empty database."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from server.models import Household, User
from server.reports.figures import outcomes, progress
from server.reports.scale import ScaleError, geography, seed_scale
from server.reports.report_area import Filters
from sqlalchemy import func, true

TODAY = dt.date(2027, 9, 1)


def test_geocodes_nest_provinces_districts_subdistricts_villages():
    codes = list(geography(1_600))
    assert codes[0] == ("10", "1001", "100101", "10010101")
    assert codes[1_499][0] == "10" and codes[1_500] == ("11", "1101", "110101", "11010101")
    assert len({c[3] for c in codes}) == 1_600


def test_seed_scale_fills_an_empty_database_that_the_figures_read(engine):
    counts = seed_scale(engine, villages=12, households_per_village=5, years=2, today=TODAY)
    assert counts["village"] == 12 and counts["household"] == 12 * 5 * 2 and counts["training"] == 24
    assert counts["attendance"] > 0 and counts["survey"] > counts["household"]
    with Session(engine) as db:
        assert db.exec(select(func.count()).select_from(Household)).one() == 120
        assert db.exec(select(User)).first() is None  # no accounts with known passwords
        filters = Filters(fiscal_year=2570)
        total = outcomes(db, area=true(), filters=filters, by="total", follow_up_months=[3, 6, 12])[""]
        assert 0 < total.trained <= 60 and 0 < total.practising <= total.followed_up
        rows = progress(db, area=true(), filters=filters, by="subdistrict", today=TODAY,
                        follow_up_months=[3, 6, 12], five_k_codes=["members"])
        assert sum(r.villages for r in rows.values()) == 12
        assert sum(r.teams_complete for r in rows.values()) == 12
    with pytest.raises(ScaleError):
        seed_scale(engine, villages=1, households_per_village=1, years=1, today=TODAY)
