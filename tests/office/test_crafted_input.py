"""Numbers no column can hold, typed into a form or put in a URL: a field message or a 404, never a 500."""
import pytest
from sqlmodel import Session, select

from server.models import Partner

from tests.foundation.helpers import post_form, sign_in

HUGE = "9" * 25


def test_a_huge_sort_order_is_a_field_error(client, world):
    sign_in(client, "root")
    five_k = post_form(client, "/admin/config/five-k", {"code": "fund2", "name_th": "กองทุน", "name_en": "Fund",
                                                        "criterion_th": "มีเงินออม", "criterion_en": "Savings",
                                                        "sort_order": HUGE})
    assert five_k.status_code == 422 and "ตัวเลขนี้มากเกินไป" in five_k.text
    occupation = post_form(client, "/admin/config/occupations", {"code": "weaving2", "name_th": "ทอผ้า",
                                                                 "name_en": "Weaving", "kind": "trade",
                                                                 "sort_order": HUGE})
    assert occupation.status_code == 422 and "ตัวเลขนี้มากเกินไป" in occupation.text


def test_a_huge_poverty_line_id_is_not_found(client, world):
    sign_in(client, "root")
    response = post_form(client, f"/admin/config/poverty-lines/{HUGE}", {"from_year": "2570", "to_year": "2571",
                                                                         "amount": "40000"})
    assert response.status_code == 404


def test_huge_partner_ids_are_not_found(north, world, engine):
    post_form(north, "/partners", {"district_code": "3414", "name": "บริษัทสมมุติ จำกัด"})
    with Session(engine) as db:
        partner = db.exec(select(Partner)).one()
    for url in (f"/partners/{HUGE}/supports", f"/partners/{2**31}/supports",
                f"/partners/{partner.id}/supports/{HUGE}/remove"):
        assert post_form(north, url, {"target": "", "note": ""}).status_code == 404, url


def test_a_huge_team_member_id_is_not_found(north, world):
    village = world.villages["34140101"]
    assert post_form(north, f"/teams/{village}/members/{HUGE}/remove", {}).status_code == 404


@pytest.mark.parametrize("fy", [HUGE, "²", "-1"])
def test_a_crafted_fiscal_year_filter_lists_nothing_instead_of_failing(north, world, fy):
    response = north.get("/trainings", params={"fy": fy})
    assert response.status_code == 200
