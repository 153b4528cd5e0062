"""The household register: income per person against the poverty line, masked IDs, paging, stale edits."""
import re

from sqlmodel import Session

from server.models import Household, PovertyLine
from server.core.dates import current_fiscal_year
from tests.foundation.helpers import post_form
from tests.support.factories import make_household, valid_citizen_id


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
    assert "ลงทะเบียนไว้แล้ว" in again.text and "กรอกเป็นตัวเลข เช่น 36000" in again.text and "ต้องไม่น้อยกว่า 1" in again.text
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


def test_the_register_pages_by_fifty_in_village_and_natural_house_number_order(north, world, engine):
    village = world.villages["34140102"]
    with Session(engine) as db:
        for n in range(1, 56):  # stored out of order: 55 … 1
            make_household(db, village_id=village, house_no=f"{56 - n}", head_name=f"นางลำดับ {56 - n:02d}",
                           commit=False)
        make_household(db, village_id=village, house_no="2/10", head_name="นางลำดับ 2/10", commit=False)
        make_household(db, village_id=village, house_no="2/9", head_name="นางลำดับ 2/9", commit=False)
        db.commit()
    first = north.get("/households", params={"village": village}).text
    names = re.findall(r"นางลำดับ [0-9/]+", first)
    assert len(names) == 50 and names[:5] == ["นางลำดับ 01", "นางลำดับ 02", "นางลำดับ 2/9", "นางลำดับ 2/10",
                                              "นางลำดับ 03"]
    assert "57 ครัวเรือน" in first
    assert f'href="/households?village={village}&amp;page=2"' in first and 'rel="prev"' not in first
    second = north.get("/households", params={"village": village, "page": "2"}).text
    assert re.findall(r"นางลำดับ [0-9/]+", second) == [f"นางลำดับ {n}" for n in range(49, 56)]
    assert f'href="/households?village={village}&amp;page=1"' in second and 'rel="next"' not in second
    everywhere = north.get("/households", params={"page": "99999999999999999999"})
    assert everywhere.status_code == 200 and "นางทดสอบ h1" in north.get("/households").text


def test_a_refused_stale_save_still_shows_what_the_user_typed(north, world, engine):
    household_id = world.households["h2"]
    with Session(engine) as db:
        seq = db.get(Household, household_id).seq
    base = _form(world, citizen_id="", seq=seq)
    post_form(north, f"/households/{household_id}", {**base, "annual_income": "31000"})
    late = post_form(north, f"/households/{household_id}", {**base, "annual_income": "99,000",
                                                            "phone": "0899999999"})
    assert late.status_code == 409 and 'value="31000"' in late.text  # the form holds what is saved now
    yours = late.text.split('id="your-values"')[1].split("</section>")[0]
    assert "ค่าที่ท่านกรอก" in late.text
    assert "<strong>99000</strong>" in yours and "<strong>0899999999</strong>" in yours and "31000" in yours
    assert "นางใหม่ ทดสอบ" not in yours  # the same in both: not listed
