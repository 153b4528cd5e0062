"""A small district for the office pages: two subdistricts with an officer each, sages and households."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlmodel import Session

from server.auth.passwords import hash_password
from server.models import Sage, User, UserArea
from sync.changes import stamp_change
from tests.foundation.helpers import sign_in
from tests.support.factories import DEFAULT_PASSWORD, make_geography, make_household


@pytest.fixture(scope="session")
def password_hash() -> str:
    """Hashed once per run: hashing is deliberately slow, and every test here signs users in."""
    return hash_password(DEFAULT_PASSWORD)


def add_user(db: Session, password_hash: str, *, username: str, role: str, subdistricts=()) -> User:
    user = User(username=username, display_name=f"ผู้ทดสอบ {username}", role=role, password_hash=password_hash)
    db.add(user)
    db.flush()
    for code in subdistricts:
        db.add(UserArea(user_id=user.id, subdistrict_code=code))
    return user


@dataclass
class World:
    villages: dict[str, str]  # code -> id
    sages: dict[str, str] = field(default_factory=dict)  # name -> id
    households: dict[str, str] = field(default_factory=dict)  # label -> id


def add_sage(db: Session, *, village_id: str, name: str, skills: list[str] | None = None) -> Sage:
    sage = Sage(village_id=village_id, name=name, skills=skills or ["orchard"], phone="0812345678")
    db.add(sage)
    stamp_change(db, sage, entity="sage", fields=("village_id", "name", "skills"), village_id=village_id, user_id=None)
    return sage


@pytest.fixture
def world(engine, password_hash) -> World:
    """Village 34140101 (north's area) has 7 sages and 6 households; 34140102 (also north's) has 2 sages;
    officer `south` works in 341402; `root` is an admin."""
    with Session(engine, expire_on_commit=False) as db:
        geo = make_geography(db, commit=False)
        villages = {code: v.id for code, v in geo["village"].items()}
        add_user(db, password_hash, username="north", role="officer", subdistricts=["341401"])
        add_user(db, password_hash, username="south", role="officer", subdistricts=["341402"])
        add_user(db, password_hash, username="root", role="admin")
        result = World(villages=villages)
        for n in range(1, 8):
            result.sages[f"north{n}"] = add_sage(db, village_id=villages["34140101"], name=f"ปราชญ์ทดสอบ{n}").id
        for n in range(1, 3):
            result.sages[f"other{n}"] = add_sage(db, village_id=villages["34140102"], name=f"ปราชญ์ข้างบ้าน{n}").id
        result.sages["south1"] = add_sage(db, village_id=villages["34140201"], name="ปราชญ์ใต้1").id
        # income per person: h1 10k, h2 15k, h3 20k, h4 30k, h5 40k, h6 100k
        for label, income, members in (("h1", 40_000, 4), ("h2", 30_000, 2), ("h3", 60_000, 3),
                                       ("h4", 90_000, 3), ("h5", 80_000, 2), ("h6", 200_000, 2)):
            result.households[label] = make_household(db, village_id=villages["34140101"], annual_income=income,
                                                      members=members, head_name=f"นางทดสอบ {label}",
                                                      commit=False).id
        result.households["south"] = make_household(db, village_id=villages["34140201"], commit=False).id
        db.commit()
    return result


@pytest.fixture
def north(client, world):
    """The client signed in as the officer of subdistrict 341401."""
    sign_in(client, "north")
    return client


@pytest.fixture
def south(client, world):
    sign_in(client, "south")
    return client
