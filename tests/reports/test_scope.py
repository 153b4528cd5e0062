"""An area filter on geocodes: the same villages as "the code starts with", whatever the prefix."""
from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from server.models import Village
from server.reports.report_area import geocode_within


def test_an_area_filter_keeps_exactly_the_villages_whose_geocode_starts_with_it(engine, program):
    with Session(engine) as db:
        codes = [c for (c,) in db.exec(select(Village.code))]
        assert {"34140101", "34140201", "34150101"} <= set(codes)
        for prefix in ("", "3", "34", "3414", "341401", "34140101", "3415", "3419", "3499", "99", "9", "x"):
            kept = {c for (c,) in db.exec(select(Village.code).where(geocode_within(Village.code, prefix)))}
            assert kept == {c for c in codes if c.startswith(prefix)}, prefix
