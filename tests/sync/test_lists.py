"""`in_list`: a list bound as one parameter answers like a written-out IN list, on SQLite and PostgreSQL."""
from sqlalchemy import select
from sqlmodel import Session

from server.models import Household, UserArea
from sync.lists import in_list
from tests.support.factories import make_geography, make_household, make_user

_HOMES = Household.__table__.c
_AREAS = UserArea.__table__.c


def test_the_rows_of_the_listed_values_and_no_others_for_any_length_and_type(engine):
    with Session(engine) as db:
        geo = make_geography(db)
        homes = [make_household(db, village_id=geo["villages"][0].id).id for _ in range(3)]
        officer = make_user(db, username="somchai", role="officer", subdistrict_codes=["341401", "341402"])
        officer_id = officer.id
        db.commit()
    by_id = select(_HOMES.id).where(in_list(_HOMES.id, "ids"))
    by_user = select(_AREAS.subdistrict_code).where(in_list(_AREAS.user_id, "users"))
    many = [f"00000000-0000-4000-8000-{n:012d}" for n in range(2500)]  # more than a statement's parameters
    with Session(engine) as db:
        assert set(db.execute(by_id, {"ids": homes[:2]}).scalars()) == set(homes[:2])
        assert list(db.execute(by_id, {"ids": []}).scalars()) == []
        assert set(db.execute(by_id, {"ids": [*many, homes[2]]}).scalars()) == {homes[2]}
        assert list(db.execute(by_id, {"ids": ["it's \"quoted\" ' OR 1=1 --"]}).scalars()) == []
        assert sorted(db.execute(by_user, {"users": [officer_id, officer_id + 1000]}).scalars()) == ["341401", "341402"]
