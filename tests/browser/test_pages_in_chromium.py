"""The pages in a real Chromium at phone width: sign-in, live search through htmx, language, sign-out."""
import pytest
from playwright.sync_api import expect, sync_playwright
from sqlmodel import Session

from server.core.db import make_engine
from tests.support.browser import launch_chromium
from tests.support.factories import make_geography, make_household, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded_db_url(db_url):
    engine = make_engine(db_url)
    with Session(engine) as db:
        geo = make_geography(db)
        make_user(db, username="north", role="officer", subdistrict_codes=["341401"])
        make_household(db, village_id=geo["village"]["34140101"].id)
    engine.dispose()
    return db_url


@pytest.fixture
def page(seeded_db_url, request):
    from tests.support.servers import start_server, stop_server

    process, base_url = start_server(seeded_db_url)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=base_url)
        page = context.new_page()
        yield page
        browser.close()
    stop_server(process)


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_an_officer_signs_in_searches_switches_language_and_signs_out(page):
    page.goto("/")
    assert page.url.endswith("/login")
    assert _fits_the_screen(page)

    page.fill("#f-username", "north")
    page.fill("#f-password", "wrong")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง")
    expect(page.locator("#f-username")).to_have_value("north")

    page.fill("#f-password", "pw-test-1234")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("สวัสดี")
    assert _fits_the_screen(page)

    page.goto("/villages")
    expect(page.locator("#village-rows")).to_contain_text("บ้านนาทดลอง")
    page.evaluate("window.__marker = 'same page'")
    page.fill("#q", "โคก")
    expect(page.locator("#village-rows")).not_to_contain_text("บ้านนาทดลอง")
    expect(page.locator("#village-rows")).to_contain_text("บ้านโคกสมมุติ")
    assert page.evaluate("window.__marker") == "same page"  # swapped by htmx, not reloaded
    assert _fits_the_screen(page)

    page.click("a.lang")
    expect(page.locator("h1")).to_have_text("Villages")

    page.click("text=Sign out")
    assert page.url.endswith("/login")
    page.goto("/villages")
    assert page.url.endswith("/login")


def test_the_import_page_fits_a_phone_screen(page):
    page.goto("/login")
    page.fill("#f-username", "north")
    page.fill("#f-password", "pw-test-1234")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("สวัสดี")
    page.goto("/households/import")
    expect(page.locator("#f-file")).to_be_visible()
    assert _fits_the_screen(page)
