"""The phone's household form picks the trade a household wants to learn from the configured trades (as
pulled), and whether it holds the state welfare card; both reach the server as the contract's codes."""
import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from server.core.db import make_engine
from server.models import Household, Occupation
from tests.browser.field.conftest import ready_to_work, wait_pending

pytestmark = pytest.mark.browser


def test_the_trade_and_the_welfare_card_are_chosen_from_lists(field_world, server, phone_factory):
    village = field_world.villages["34140101"]
    engine = make_engine(field_world.db_url)
    with Session(engine) as db:
        trades = {o.code: o.name_th for o in db.exec(select(Occupation).where(Occupation.kind == "trade",
                                                                            Occupation.active == True))}  # noqa: E712
    page = phone_factory("north").page
    ready_to_work(page, "north", [village.id])

    page.goto(f"/field/villages/{village.id}/households/new")
    picker = page.locator('select[name="interest"]')
    expect(picker.locator("option")).to_have_count(len(trades) + 1)  # the trades and "none"
    assert set(picker.locator("option").evaluate_all("os => os.map(o => o.value)")) == {"", *trades}
    page.fill('[name="house_no"]', "77/7")
    page.fill('[name="head_name"]', "นางเลือกอาชีพ ทดลอง")
    page.fill('[name="members"]', "3")
    page.fill('[name="annual_income"]', "36000")
    picker.select_option(label=trades["livestock"])
    page.locator('select[name="welfare_card"]').select_option("yes")
    page.click('button[type="submit"]')
    expect(page.locator("[data-saved]")).to_be_visible()
    wait_pending(page, 0)

    with Session(engine) as db:
        household = db.exec(select(Household).where(Household.house_no == "77/7")).one()
        assert (household.interest, household.welfare_card) == ("livestock", True)
    engine.dispose()

    page.goto(f"/field/villages/{village.id}/households/new?household={household.id}")
    expect(page.locator('select[name="interest"]')).to_have_value("livestock")
    expect(page.locator('select[name="welfare_card"]')).to_have_value("yes")
