"""One rule, every way in: the same cases through the office page, the household import and a phone's push.

A household: a citizen ID registered once in the register (a deleted household's does not count, and a
household saved again is no duplicate of itself); an income the page and the import require, a phone
may leave unknown — never 0, ranked after every known income. An enrollment: in its training's
village, within the target, with a written reason where the ranking asks for one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlmodel import Session, select

from server.models import AppSetting, Enrollment, Household
from tests.foundation.helpers import csrf_token, post_form
from tests.support.factories import valid_citizen_id
from tests.sync.helpers import make_training, op, pull_all, push_ok
from tests.sync.helpers import sign_in as phone_sign_in

REGISTERED = valid_citizen_id(900)
ALREADY_REGISTERED = "ครัวเรือนนี้ลงทะเบียนไว้แล้ว"
REQUIRED = "จำเป็นต้องกรอก"
OTHER_VILLAGE = "ไม่ได้อยู่ในหมู่บ้านของการฝึกอบรมนี้"
NEEDS_REASON = "ต้องระบุเหตุผล"


@dataclass
class Answer:
    accepted: bool
    text: str  # what the officer reads: the page, or the push's reasons


def _household(**given) -> dict:
    values = {"village": "34140101", "house_no": "77/7", "head_name": "นางใหม่ ทดสอบ", "citizen_id": "",
              "members": 3, "annual_income": 45_000}
    values.update(given)
    return values


# --- the three ways a household comes in ---------------------------------------------------------

def register_on_the_page(client, world, values: dict) -> Answer:
    form = {"village_id": world.villages[values["village"]], "house_no": values["house_no"],
            "head_name": values["head_name"], "citizen_id": values["citizen_id"], "members": str(values["members"]),
            "annual_income": "" if values["annual_income"] is None else str(values["annual_income"]), "consent": "1"}
    response = post_form(client, "/households", form, follow_redirects=False)
    return Answer(response.status_code in (302, 303), response.text)


def register_by_import(client, world, values: dict) -> Answer:
    income = "" if values["annual_income"] is None else str(values["annual_income"])
    csv = ("village_code,house_no,head_name,citizen_id,members,annual_income\n"
           f"{values['village']},{values['house_no']},{values['head_name']},{values['citizen_id']},"
           f"{values['members']},{income}\n")
    preview = client.post("/households/import", files={"file": ("households.csv", csv.encode())},
                          data={"_csrf_token": csrf_token(client)})
    found = re.search(r'name="preview_id" value="([^"]+)"', preview.text)
    if preview.status_code != 200 or found is None:
        return Answer(False, preview.text)
    confirmed = post_form(client, "/households/import/confirm", {"preview_id": found.group(1)},
                          follow_redirects=False)
    return Answer(confirmed.status_code in (302, 303), confirmed.text)


def register_from_a_phone(client, world, values: dict) -> Answer:
    fields = {"village_id": world.villages[values["village"]], "house_no": values["house_no"],
              "head_name": values["head_name"], "members": values["members"], "consent": True}
    if values["citizen_id"]:
        fields["citizen_id"] = values["citizen_id"]
    if values["annual_income"] is not None:  # a phone leaves out what it does not know yet
        fields["annual_income"] = values["annual_income"]
    (result,) = push_ok(client, phone_sign_in(client, "north"), [op("household", fields=fields)])
    return Answer(result["status"] == "applied", " ".join(e["message_th"] for e in result.get("errors", [])))


REGISTER = {"page": register_on_the_page, "import": register_by_import, "push": register_from_a_phone}


@pytest.fixture(params=list(REGISTER))
def register(request, north, world):
    return lambda **given: REGISTER[request.param](north, world, _household(**given))


def _give_h1_the_registered_id(engine, world, *, deleted: bool = False) -> None:
    with Session(engine) as db:
        household = db.get(Household, world.households["h1"])
        household.citizen_id, household.deleted = REGISTERED, deleted
        db.add(household)
        db.commit()


def _holding(engine, citizen_id: str) -> list[Household]:
    with Session(engine) as db:
        return list(db.exec(select(Household).where(Household.citizen_id == citizen_id,
                                                    Household.deleted == False)).all())  # noqa: E712


def test_a_citizen_id_already_registered_is_refused(register, world, engine):
    _give_h1_the_registered_id(engine, world)

    answer = register(citizen_id=REGISTERED)

    assert not answer.accepted and ALREADY_REGISTERED in answer.text
    assert [h.id for h in _holding(engine, REGISTERED)] == [world.households["h1"]]


def test_a_deleted_households_citizen_id_may_be_registered_again(register, world, engine):
    _give_h1_the_registered_id(engine, world, deleted=True)

    answer = register(citizen_id=REGISTERED)

    assert answer.accepted, answer.text
    assert [h.house_no for h in _holding(engine, REGISTERED)] == ["77/7"]


def test_an_income_is_required_from_the_office_and_may_be_left_unknown_by_a_phone(register, request, world, engine):
    way = request.node.callspec.params["register"]

    answer = register(annual_income=None)

    with Session(engine) as db:
        stored = db.exec(select(Household).where(Household.house_no == "77/7")).all()
    if way == "push":
        assert answer.accepted, answer.text
        assert [h.annual_income for h in stored] == [None]  # unknown, never 0
    else:
        assert not answer.accepted and REQUIRED in answer.text
        assert stored == []


@pytest.mark.parametrize("way", ["page", "push"])
def test_a_household_saved_again_is_no_duplicate_of_itself(way, north, world, engine):
    _give_h1_the_registered_id(engine, world)
    with Session(engine) as db:
        h1 = db.get(Household, world.households["h1"])
    if way == "page":
        form = {"village_id": h1.village_id, "house_no": h1.house_no, "head_name": h1.head_name,
                "citizen_id": REGISTERED, "members": str(h1.members), "annual_income": str(h1.annual_income),
                "phone": "0811111111", "consent": "1", "seq": str(h1.seq)}
        accepted = post_form(north, f"/households/{h1.id}", form, follow_redirects=False).status_code in (302, 303)
    else:
        (result,) = push_ok(north, phone_sign_in(north, "north"), [
            op("household", h1.id, {"citizen_id": REGISTERED, "phone": "0811111111"}, base_seq=h1.seq)])
        accepted = result["status"] == "applied"
    assert accepted
    assert [h.phone for h in _holding(engine, REGISTERED)] == ["0811111111"]


def test_two_new_households_with_one_citizen_id_in_one_push_keep_the_first(north, world, engine):
    village = world.villages["34140101"]
    fields = {"village_id": village, "head_name": "นางซ้ำ ทดสอบ", "members": 2, "citizen_id": REGISTERED}
    results = push_ok(north, phone_sign_in(north, "north"), [
        op("household", fields={**fields, "house_no": "1/1"}), op("household", fields={**fields, "house_no": "1/2"})])
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert [(e["field"], e["code"]) for e in results[1]["errors"]] == [("citizen_id", "invalid")]
    assert [h.house_no for h in _holding(engine, REGISTERED)] == ["1/1"]


def test_an_unknown_income_is_ranked_after_every_known_one_and_shown_as_unknown(north, world, engine):
    register_from_a_phone(north, world, _household(head_name="นางยังไม่สำรวจ ทดสอบ", annual_income=None))
    with Session(engine, expire_on_commit=False) as db:
        training, _sessions = make_training(db, village_id=world.villages["34140101"])

    page = north.get(f"/trainings/{training.id}/select").text

    richest = page.index("นางทดสอบ h6")  # 100,000 baht a person
    assert page.index("นางยังไม่สำรวจ ทดสอบ") > richest
    assert "ยังไม่ทราบ" in page[richest:]


# --- the two ways an enrollment comes in (the import brings households only) ------------------------

def enroll_on_the_page(client, world, training, choice: dict[str, str | None]) -> Answer:
    """The selection page saves a whole selection: `choice` is it (household id -> reason)."""
    form = {"selected": list(choice), **{f"reason_{h}": reason for h, reason in choice.items() if reason}}
    response = post_form(client, f"/trainings/{training.id}/select", form, follow_redirects=False)
    return Answer(response.status_code in (302, 303), response.text)


def enroll_from_a_phone(client, world, training, choice: dict[str, str | None]) -> Answer:
    """A phone enrolls one household an op, in the order given."""
    ops = [op("enrollment", fields={"training_id": training.id, "household_id": household_id,
                                    "occupation": training.occupation, "status": "selected",
                                    **({"reason": reason} if reason else {})})
           for household_id, reason in choice.items()]
    results = push_ok(client, phone_sign_in(client, "north"), ops)
    return Answer(all(r["status"] == "applied" for r in results),
                  " ".join(e["message_th"] for r in results for e in r.get("errors", [])))


ENROLL = {"page": enroll_on_the_page, "push": enroll_from_a_phone}


@pytest.fixture(params=list(ENROLL))
def way(request):
    return request.param


@pytest.fixture
def training(engine, world):
    """A training in village 34140101 (households h1..h6, poorest first) with a target of 3."""
    with Session(engine, expire_on_commit=False) as db:
        db.merge(AppSetting(key="households_per_village", value="3"))
        db.commit()
        made, _sessions = make_training(db, village_id=world.villages["34140101"])
    return made


def _selected(engine, training) -> dict[str, str | None]:
    with Session(engine) as db:
        return {e.household_id: e.reason for e in db.exec(select(Enrollment).where(
            Enrollment.training_id == training.id, Enrollment.status == "selected"))}


def _ids(world, *labels: str, reasons: dict[str, str] | None = None) -> dict[str, str | None]:
    return {world.households[label]: (reasons or {}).get(label) for label in labels}


def test_a_household_of_another_village_is_not_enrolled(way, north, world, engine, training):
    with Session(engine, expire_on_commit=False) as db:  # in the officer's area, not in the training's village
        neighbour = Household(village_id=world.villages["34140102"], house_no="3", head_name="นายข้างบ้าน ทดสอบ",
                              members=2, annual_income=10_000)
        db.add(neighbour)
        db.commit()

    answer = ENROLL[way](north, world, training, {neighbour.id: None})

    assert not answer.accepted and OTHER_VILLAGE in answer.text
    assert _selected(engine, training) == {}


def test_no_more_households_than_the_target(way, north, world, engine, training):
    answer = ENROLL[way](north, world, training, _ids(world, "h1", "h2", "h3", "h4"))

    assert not answer.accepted and "เลือกได้ไม่เกิน 3 ครัวเรือน" in answer.text
    assert len(_selected(engine, training)) <= 3


def test_a_household_chosen_over_a_poorer_one_needs_a_written_reason(way, north, world, engine, training):
    refused = ENROLL[way](north, world, training, _ids(world, "h1", "h2", "h6"))  # passes over the poorer h3
    assert not refused.accepted and NEEDS_REASON in refused.text
    assert world.households["h6"] not in _selected(engine, training)

    because = {"h6": "ผู้สูงอายุอยู่ลำพัง"}
    accepted = ENROLL[way](north, world, training, _ids(world, "h1", "h2", "h6", reasons=because))

    assert accepted.accepted, accepted.text
    assert _selected(engine, training)[world.households["h6"]] == "ผู้สูงอายุอยู่ลำพัง"


def test_an_unknown_income_is_never_taken_for_the_poorest(way, north, world, engine, training):
    register_from_a_phone(north, world, _household(head_name="นางยังไม่สำรวจ ทดสอบ", annual_income=None))
    with Session(engine) as db:
        unknown = db.exec(select(Household).where(Household.head_name == "นางยังไม่สำรวจ ทดสอบ")).one().id

    refused = ENROLL[way](north, world, training, {**_ids(world, "h1", "h2"), unknown: None})
    assert not refused.accepted and NEEDS_REASON in refused.text

    accepted = ENROLL[way](north, world, training, {**_ids(world, "h1", "h2"), unknown: "สำรวจรายได้ภายหลัง"})
    assert accepted.accepted, accepted.text
    assert set(_selected(engine, training)) == {world.households["h1"], world.households["h2"], unknown}


def test_the_reason_travels_to_phones_as_the_contracts_reason(north, world, engine, training):
    because = {"h6": "ผู้สูงอายุอยู่ลำพัง"}
    assert enroll_on_the_page(north, world, training, _ids(world, "h1", "h2", "h6", reasons=because)).accepted

    changes, _cursor = pull_all(north, phone_sign_in(north, "north"))

    pulled = {c["fields"]["household_id"]: c["fields"] for c in changes if c["entity"] == "enrollment"}
    assert pulled[world.households["h6"]]["reason"] == "ผู้สูงอายุอยู่ลำพัง"
    assert "selection_reason" not in pulled[world.households["h6"]]
