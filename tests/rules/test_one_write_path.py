"""One write path for synced records: `server.synced.write.save_synced` locks, re-reads, checks, stamps and audits;
nothing else under server/ stamps a change, and nothing is stamped as an entity phones do not know."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from server.demo import seed_demo
from server.models import AuditEntry, Household, OccupationGroup, Sage
from server.synced.write import Refused, Stale, save_synced
from server.synced.specs import REGISTRY
from tests.foundation.helpers import post_form
from tests.sync.helpers import make_training, op, pull_all, push_ok
from tests.sync.helpers import sign_in as phone_sign_in

SERVER = Path(__file__).resolve().parents[2] / "server"
THE_WRITE_PATH = SERVER / "synced" / "write.py"


def _uses_stamp_change(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "stamp_change":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "stamp_change":
            return True
        if isinstance(node, ast.ImportFrom) and any(alias.name == "stamp_change" for alias in node.names):
            return True
    return False


def test_only_the_write_path_stamps_changes():
    modules = sorted(SERVER.rglob("*.py"))
    assert THE_WRITE_PATH in modules and _uses_stamp_change(THE_WRITE_PATH)
    offenders = [str(path.relative_to(SERVER.parent)) for path in modules
                 if path != THE_WRITE_PATH and _uses_stamp_change(path)]
    assert offenders == [], "save synced records through server.synced.write.save_synced"


def test_every_change_in_the_feed_is_of_an_entity_phones_know(engine):
    with Session(engine) as db:
        seed_demo(db)  # every kind of record the office writes, occupation groups included
        stamped = set(db.exec(text("SELECT DISTINCT entity FROM change_feed")).scalars())
    assert "group" in stamped
    assert stamped <= set(REGISTRY.entities)


def test_a_stale_form_is_refused_after_the_lock_even_when_it_looked_fresh_before(engine, world):
    with Session(engine, expire_on_commit=False) as office:
        sage = office.get(Sage, world.sages["north1"])
        seen = sage.seq  # the form was loaded at this seq and passed the page's early check
        office.commit()  # (PostgreSQL reads committed rows: another writer may commit before the lock)
        with Session(engine) as phone:  # meanwhile a phone's change commits
            changed = phone.get(Sage, sage.id)
            save_synced(phone, changed, entity="sage", values={"phone": "0899999999"}, user=None)
            phone.commit()
        assert sage.seq == seen  # the office session still holds the old copy

        with pytest.raises(Stale):
            save_synced(office, sage, entity="sage", values={"name": "ชื่อใหม่"}, user=None, expected_seq=seen)
    with Session(engine) as db:
        kept = db.get(Sage, world.sages["north1"])
        assert (kept.name, kept.phone) == ("ปราชญ์ทดสอบ1", "0899999999")


def test_a_save_is_checked_stamped_and_audited_in_one_step(engine, world):
    with Session(engine, expire_on_commit=False) as db:
        household = Household()
        save_synced(db, household, entity="household", user=None,
                    values={"village_id": world.villages["34140102"], "house_no": "8", "head_name": "นางหนึ่ง ทดสอบ",
                            "members": 2, "annual_income": 20_000})
        db.commit()
        feed = db.exec(text("SELECT seq, village_id FROM change_feed WHERE entity = 'household' AND record_id = :r"),
                       params={"r": household.id}).one()
        audits = db.exec(select(AuditEntry.action).where(AuditEntry.record_id == household.id)).all()
        assert tuple(feed) == (household.seq, world.villages["34140102"])
        assert household.field_versions["annual_income"]["seq"] == household.seq
        assert audits == ["create"]

        twin = Household()
        with pytest.raises(Refused) as refused:
            save_synced(db, twin, entity="household", user=None,
                        values={"village_id": world.villages["34140102"], "house_no": "9", "head_name": "นายสอง ทดสอบ",
                                "members": 2, "annual_income": -1})
        assert [(e.field, e.code) for e in refused.value.errors] == [("annual_income", "invalid")]
        assert db.get(Household, twin.id) is None


def test_occupation_groups_are_pulled_by_phones_with_their_members(north, world, engine):
    with Session(engine, expire_on_commit=False) as db:
        training, _sessions = make_training(db, village_id=world.villages["34140101"])
    phone = phone_sign_in(north, "north")
    members = [world.households["h1"], world.households["h2"]]
    push_ok(north, phone, [op("enrollment", fields={"training_id": training.id, "household_id": h,
                                                    "status": "selected"}) for h in members])
    created = post_form(north, "/groups", {"village_id": world.villages["34140101"], "name": "กลุ่มทดสอบ",
                                           "category": "agriculture", "members": members}, follow_redirects=False)
    assert created.status_code in (302, 303), created.text

    changes, _cursor = pull_all(north, phone)

    (group,) = [c for c in changes if c["entity"] == "group"]
    with Session(engine) as db:
        stored = db.exec(select(OccupationGroup)).one()
    assert group["id"] == stored.id and group["seq"] == stored.seq
    assert group["fields"]["name"] == "กลุ่มทดสอบ"
    assert sorted(m["household_id"] for m in group["fields"]["members"]) == sorted(members)
