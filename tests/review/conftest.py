"""A district under review: tests/sync's area plus a second district with its own supervisor."""
from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from server.models import District, Subdistrict, Village
from sync.changes import stamp_change
from tests.foundation.helpers import post_form, sign_in
from tests.support.factories import VILLAGE_FIELDS, make_user
from tests.sync.helpers import make_area


@pytest.fixture
def area(engine):
    """tests.sync.helpers.make_area (officers somchai and malee, supervisor boss, admin root) and
    district 3415 with village 34150101 and its supervisor `elsewhere`."""
    with Session(engine, expire_on_commit=False) as db:
        made = make_area(db)
        db.add(District(code="3415", province_code="34", name_th="อำเภอสมมุติ", name_en="Imaginary"))
        db.flush()
        db.add(Subdistrict(code="341501", district_code="3415", name_th="ตำบลสมมุติ", name_en="Imaginary"))
        db.flush()
        far = Village(code="34150101", subdistrict_code="341501", number=1, name="บ้านไกลสมมุติ", participating=True)
        db.add(far)
        db.flush()
        stamp_change(db, far, entity="village", fields=VILLAGE_FIELDS, village_id=far.id, user_id=None)
        made.users["elsewhere"] = make_user(db, username="elsewhere", role="supervisor", district_code="3415")
        db.commit()
    return made


def as_of(page_html: str) -> int:
    """The change counter a review page was drawn at (its forms carry it)."""
    return int(re.search(r'name="as_of" value="(\d+)"', page_html).group(1))


@pytest.fixture
def office(app, client):
    """office(username): a browser-like client of its own, signed in as `username`, in English."""
    from litestar.testing import TestClient

    def open_as(username: str):
        # Not entered (nothing to close): the `client` fixture runs the app's lifespan for all of them.
        browser = TestClient(app, base_url="http://testserver.local")
        browser.cookies.set("lang", "en")
        sign_in(browser, username)
        return browser

    return open_as


def post(client, url: str, data: dict, **kwargs):
    return post_form(client, url, data, **kwargs)
