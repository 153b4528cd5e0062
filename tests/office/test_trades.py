"""Trades coded everywhere: a sage's skills and a household's interest are trades of the configured list,
the same rule through a page, the import and a phone's push; a village's match; the training's warning."""
from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session, select

from server.core.db import make_engine
from server.core.migrate import upgrade
from server.models import Household, Sage, TeamMember, TrainerTeam
from server.reports.village_progress import current_fiscal_year
from sync.changes import stamp_change
from tests.foundation.helpers import csrf_token, post_form
from tests.office.conftest import add_sage
from tests.support.factories import make_household, make_training
from tests.sync.helpers import op, push_ok, sign_in as phone_sign_in


def _codes(result):
    return {(e["field"], e["code"]) for e in result.get("errors", [])}


# --- one rule, every way in ------------------------------------------------------------------------

def test_a_page_keeps_skills_as_trade_codes_and_other_skills_in_words(north, world, engine):
    form = {"name": "นายใหม่ ปราชญ์", "village_id": world.villages["34140101"], "skills": ["orchard"],
            "skills_note": "เพาะเห็ด"}
    assert post_form(north, "/sages", form, follow_redirects=False).status_code in (302, 303)
    refused = post_form(north, "/sages", {**form, "name": "นายปลอม", "skills": ["orchard", "mushrooms"]})
    assert refused.status_code == 422 and "ไม่มีอาชีพนี้ในรายการอาชีพที่กำหนดไว้" in refused.text
    with Session(engine) as db:
        sage = db.exec(select(Sage).where(Sage.name == "นายใหม่ ปราชญ์")).one()
        assert (sage.skills, sage.skills_note) == (["orchard"], "เพาะเห็ด")
        assert db.exec(select(Sage).where(Sage.name == "นายปลอม")).first() is None
    assert "เพาะเห็ด" in north.get("/sages", params={"skill": "เห็ด"}).text


def test_a_household_page_refuses_a_trade_not_on_the_list(north, world, engine):
    form = {"village_id": world.villages["34140101"], "house_no": "88/1", "head_name": "นางสนใจ เห็ด",
            "members": "2", "annual_income": "30000", "interest": "mushrooms", "welfare_card": "yes"}
    refused = post_form(north, "/households", form)
    assert refused.status_code == 422 and "ไม่มีอาชีพนี้ในรายการอาชีพที่กำหนดไว้" in refused.text
    assert post_form(north, "/households", {**form, "interest": "livestock"},
                     follow_redirects=False).status_code in (302, 303)
    with Session(engine) as db:
        saved = db.exec(select(Household).where(Household.house_no == "88/1")).one()
        assert (saved.interest, saved.welfare_card) == ("livestock", True)


def test_the_import_reads_a_trade_by_its_name_and_refuses_one_not_on_the_list(north, world, engine):
    header = "village_code,house_no,head_name,members,annual_income,interest,welfare_card\n"
    good = header + "34140101,61/1,นางหนึ่ง ทดสอบ,2,30000,  ปศุสัตว์ ,มี\n34140101,61/2,นางสอง ทดสอบ,3,30000,Orchards and gardens,\n"
    bad = good + "34140101,61/3,นางสาม ทดสอบ,3,30000,เพาะเห็ด,\n"
    refused = north.post("/households/import", files={"file": ("h.csv", bad.encode())},
                         data={"_csrf_token": csrf_token(north)})
    assert refused.status_code == 422 and "ไม่มีอาชีพนี้ในรายการอาชีพที่กำหนดไว้" in refused.text
    preview = north.post("/households/import", files={"file": ("h.csv", good.encode())},
                         data={"_csrf_token": csrf_token(north)})
    assert preview.status_code == 200, preview.text
    preview_id = preview.text.split('name="preview_id" value="')[1].split('"')[0]
    assert post_form(north, "/households/import/confirm", {"preview_id": preview_id},
                     follow_redirects=False).status_code in (302, 303)
    with Session(engine) as db:
        got = {h.house_no: (h.interest, h.welfare_card) for h in db.exec(
            select(Household).where(Household.house_no.in_(["61/1", "61/2"])))}
    assert got == {"61/1": ("livestock", True), "61/2": ("orchard", None)}


def test_a_push_with_a_code_not_on_the_list_is_rejected_unknown_reference(client, world, engine):
    phone = phone_sign_in(client, "north", password="pw-test-1234")
    village = world.villages["34140101"]
    results = push_ok(client, phone, [
        op("sage", fields={"village_id": village, "name": "ปราชญ์ก", "skills": ["orchard", "mushrooms"]}),
        op("household", fields={"village_id": village, "house_no": "70/1", "head_name": "นางข", "interest": "mushrooms"}),
        op("sage", fields={"village_id": village, "name": "ปราชญ์ค", "skills": ["fishery"], "skills_note": "แห"}),
        op("household", fields={"village_id": village, "house_no": "70/2", "head_name": "นางง", "interest": "fishery",
                                "welfare_card": False}),
    ])
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied", "applied"]
    assert _codes(results[0]) == {("skills", "unknown_reference")}
    assert _codes(results[1]) == {("interest", "unknown_reference")}
    with Session(engine) as db:
        assert db.get(Sage, results[2]["id"]).skills_note == "แห"
        assert db.get(Household, results[3]["id"]).welfare_card is False


def test_a_retired_trade_is_no_longer_chosen(client, world, engine):
    with Session(engine) as db:
        db.execute(text("UPDATE occupation SET active = false WHERE code = 'fishery'"))
        db.commit()
    phone = phone_sign_in(client, "north", password="pw-test-1234")
    (result,) = push_ok(client, phone, [op("household", fields={
        "village_id": world.villages["34140101"], "house_no": "71/1", "head_name": "นางจ", "interest": "fishery"})])
    assert _codes(result) == {("interest", "unknown_reference")}


# --- the one-time reading of free-text skills --------------------------------------------------------

def test_upgrading_reads_free_text_skills_as_trade_codes_and_keeps_the_rest_in_words(blank_db_url):
    upgrade(blank_db_url, "0009")
    engine = make_engine(blank_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO province (code, name_th, name_en) VALUES ('34', 'อุบล', 'Ubon')"))
            conn.execute(text("INSERT INTO district (code, province_code, name_th, name_en) VALUES ('3414', '34', 'ม่วง', 'Muang')"))
            conn.execute(text("INSERT INTO subdistrict (code, district_code, name_th, name_en) VALUES ('341401', '3414', 'ม่วง', 'Muang')"))
            conn.execute(text("INSERT INTO village (id, seq, deleted, field_versions, created_at, updated_at, code, "
                              "subdistrict_code, number, name, participating) VALUES ('v1', 1, false, '{}', "
                              "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '34140101', '341401', 1, 'บ้านทดลอง', true)"))
            for code, th, en in (("rice_farming", "ทำนา", "Rice farming"), ("orchard", "ทำสวน", "Orchards and gardens")):
                conn.execute(text("INSERT INTO occupation (code, kind, name_th, name_en, sort_order, active) "
                                  "VALUES (:c, 'trade', :th, :en, 0, true)"), {"c": code, "th": th, "en": en})
            for sage_id, skills in (("s1", '["  ทำนา ", "rice FARMING", "จักสาน", "Orchards  and gardens"]'),
                                    ("s2", '["orchard"]')):
                conn.execute(text("INSERT INTO sage (id, seq, deleted, field_versions, created_at, updated_at, "
                                  "village_id, name, skills) VALUES (:id, 1, false, '{}', CURRENT_TIMESTAMP, "
                                  "CURRENT_TIMESTAMP, 'v1', 'ปราชญ์', :skills)"), {"id": sage_id, "skills": skills})
            conn.execute(text("UPDATE sync_counter SET value = 1 WHERE id = 1"))
    finally:
        engine.dispose()

    upgrade(blank_db_url)

    engine = make_engine(blank_db_url)
    try:
        with Session(engine) as db:
            first, second = db.get(Sage, "s1"), db.get(Sage, "s2")
            assert (first.skills, first.skills_note) == (["rice_farming", "orchard"], "จักสาน")
            assert first.seq > 1 and "skills_note" in first.field_versions  # phones pull the new values
            assert (second.skills, second.skills_note, second.seq) == (["orchard"], None, 1)
            funding = db.execute(text("SELECT code FROM occupation WHERE kind = 'funding_source'")).scalars().all()
            assert {"cdd", "local_government", "bank", "village_fund", "partner"} <= set(funding)
    finally:
        engine.dispose()


# --- a village's match, and the training's warning ----------------------------------------------------

def _team(db: Session, village_id: str, sage_ids: list[str]) -> None:
    team = TrainerTeam(village_id=village_id, fiscal_year=current_fiscal_year(), lead_sage_id=sage_ids[0])
    stamp_change(db, team, entity="team", fields=("village_id", "fiscal_year", "lead_sage_id"),
                 village_id=village_id, user_id=None)
    for sage_id in sage_ids[1:]:
        db.add(TeamMember(team_id=team.id, sage_id=sage_id))


def test_a_villages_match_lists_who_wants_each_trade_poorest_first_and_who_teaches_it(north, world, engine):
    village, neighbour = world.villages["34140101"], world.villages["34140102"]
    with Session(engine, expire_on_commit=False) as db:
        for label in ("h1", "h2", "h3", "h4"):  # 10k, 15k, 20k, 30k a person
            db.get(Household, world.households[label]).interest = "livestock"
        db.get(Household, world.households["h5"]).interest = "fishery"
        db.get(Household, world.households["h6"]).interest = "fishery"
        unknown = make_household(db, village_id=village, annual_income=None, interest="livestock", commit=False)
        add_sage(db, village_id=neighbour, name="ปราชญ์เลี้ยงวัว", skills=["livestock"])
        add_sage(db, village_id=village, name="ปราชญ์จับปลา", skills=["fishery"])
        db.commit()
    page = north.get(f"/villages/{village}/match")
    assert page.status_code == 200
    html = page.text
    livestock = html.split('data-trade="livestock"')[1].split("</section>")[0]
    order = [world.households[x] for x in ("h4", "h3", "h2", "h1")]
    positions = [livestock.index(world.households[x]) for x in ("h1", "h2", "h3", "h4")] + [livestock.index(unknown.id)]
    assert positions == sorted(positions) and order  # lowest income per person first, unknown last
    assert "ปราชญ์เลี้ยงวัว" in livestock and "data-no-village-sage" in livestock
    fishery = html.split('data-trade="fishery"')[1].split("</section>")[0]
    assert "ปราชญ์จับปลา" in fishery.split("data-village-sages")[1]
    # Five households want livestock but only the district teaches it; two want fishery, taught here.
    assert 'data-suggestion="fishery"' in html
    assert "2 ครัวเรือนในหมู่บ้านสนใจ" in html.split("data-reason")[1].split("</p>")[0]
    assert north.get(f"/villages/{world.villages['34140201']}/match").status_code == 404  # not north's area


def test_the_training_warns_when_no_member_of_the_team_teaches_its_trade(north, world, engine):
    village = world.villages["34140101"]
    with Session(engine, expire_on_commit=False) as db:
        training = make_training(db, village_id=village, occupation="livestock", fiscal_year=current_fiscal_year())["training"]
        _team(db, village, [world.sages["north1"], world.sages["north2"]])  # both teach orchard
        db.commit()
    assert "data-no-teacher" in north.get(f"/trainings/{training.id}").text
    with Session(engine) as db:
        db.get(Sage, world.sages["north2"]).skills = ["orchard", "livestock"]
        db.commit()
    assert "data-no-teacher" not in north.get(f"/trainings/{training.id}").text
