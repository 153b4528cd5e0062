"""The household register: income per person against the poverty line, masked IDs, stale edits."""
from sqlmodel import Session

from server.models import Household, PovertyLine
from server.progress import current_fiscal_year
from tests.foundation.helpers import post_form
from tests.support.factories import valid_citizen_id


def _form(world, **overrides):
    data = {"village_id": world.villages["34140101"], "house_no": "77", "head_name": "นางใหม่ ทดสอบ",
            "citizen_id": valid_citizen_id(5), "members": "4", "annual_income": "100,000", "interest": "orchard",
            "consent": "1"}
    data.update(overrides)
    return data


def test_the_list_shows_income_per_person_against_the_poverty_line(north, world, engine):
    with Session(engine) as db:
        db.add(PovertyLine(from_year=current_fiscal_year(), to_year=current_fiscal_year(), amount=26_000))
        db.commit()
    assert post_form(north, "/households", _form(world), follow_redirects=False).status_code in (302, 303)
    page = north.get("/households", params={"village": world.villages["34140101"]}).text
    assert "25,000" in page and "ต่ำกว่าเกณฑ์" in page  # 100,000 / 4
    assert valid_citizen_id(5) not in page


def test_a_duplicate_citizen_id_and_bad_numbers_are_refused(north, world, engine):
    post_form(north, "/households", _form(world))
    again = post_form(north, "/households", _form(world, house_no="78", members="0", annual_income="abc"))
    assert again.status_code == 422
    assert "ลงทะเบียนไว้แล้ว" in again.text and "ต้องเป็นจำนวนเต็ม" in again.text and "ต้องไม่น้อยกว่า 1" in again.text
    assert 'value="abc"' in again.text


def test_two_office_users_editing_the_same_household(north, world, engine):
    household_id = world.households["h2"]
    with Session(engine) as db:
        seq = db.get(Household, household_id).seq
    base = _form(world, citizen_id="", seq=seq)
    assert post_form(north, f"/households/{household_id}", {**base, "annual_income": "31000"},
                     follow_redirects=False).status_code in (302, 303)
    late = post_form(north, f"/households/{household_id}", {**base, "annual_income": "99000"})
    assert late.status_code == 409 and 'value="31000"' in late.text
    with Session(engine) as db:
        assert db.get(Household, household_id).annual_income == 31_000
