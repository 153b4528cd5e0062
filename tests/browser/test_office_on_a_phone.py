"""The office at 360 px in Chromium, in Thai, for every role: a menu that reaches every page in one tap and
marks the current one (also without JavaScript), no page wider than the screen, and tables whose cells
carry their column headings."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlmodel import Session, select

from server.core.db import make_engine
from server.demo import DEMO_PASSWORD, seed_demo
from server.models import OccupationGroup, Training
from tests.support.browser import launch_chromium
from tests.support.servers import start_server, stop_server

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
SHOTS = Path(os.environ.get("SAMMACHIP_SHOTS", "")) if os.environ.get("SAMMACHIP_SHOTS") else None
# The menu's groups, in order: the program's work; review; reports; settings.
WORK = ["/villages", "/sages", "/teams", "/trainings", "/households", "/groups", "/partners"]
REPORTS = ["/progress", "/outcomes", "/reports"]
MENU = {"officer": ["/", "/field", *WORK, "/review", *REPORTS, "/devices"],
        "supervisor": ["/", *WORK, "/review", "/signoff", *REPORTS, "/devices"],
        "admin": ["/", *WORK, "/review", "/signoff", *REPORTS, "/devices", "/admin/users", "/admin/config",
                  "/admin/audit"]}
GROUPS = ["work", "review", "reports", "settings"]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory, _migrated_template, pg_databases):
    from tests.support.databases import copy_sqlite

    if pg_databases is None:
        url = copy_sqlite(Path(_migrated_template), tmp_path_factory.mktemp("office") / "office.db")
    else:
        url = pg_databases.url_for(pg_databases.create("office", template=_migrated_template))
    engine = make_engine(url)
    with Session(engine) as db:
        seed_demo(db)
        training = db.exec(select(Training).order_by(Training.created_at)).first()
        group = db.exec(select(OccupationGroup)).first()
        details = [f"/trainings/{training.id}", f"/trainings/{training.id}/select", f"/teams/{training.village_id}",
                   "/households/new", "/households/import", "/sages/new", "/trainings/new", "/groups/new",
                   f"/progress/villages/{training.village_id}"]
        if group is not None:
            details.append(f"/groups/{group.id}")
    engine.dispose()
    process, base_url = start_server(url)
    yield base_url, details
    stop_server(process)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def sign_in(context, username: str):  # noqa: ANN001, ANN201
    page = context.new_page()
    page.goto("/login")
    page.fill("#f-username", username)
    page.fill("#f-password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("สวัสดี")
    return page


def overflow(page) -> int:  # noqa: ANN001
    """How many pixels the page is wider than the screen (0: it fits)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def unlabelled_cells(page) -> list[str]:  # noqa: ANN001
    """Visible cells of list tables that show no column heading on this narrow screen (a column without a
    heading, such as a column of edit buttons, has none to show)."""
    return page.evaluate("""() => [...document.querySelectorAll('table.list tbody td')]
        .filter(td => td.offsetParent !== null && td.textContent.trim() !== '')
        .filter(td => { const th = td.closest('table').querySelectorAll('thead th')[td.cellIndex];
                        return th && th.textContent.trim() !== ''; })
        .filter(td => { const c = getComputedStyle(td, '::before').content; return !c || c === 'none' || c === 'normal'; })
        .map(td => td.closest('table').id + ' ' + td.textContent.trim().slice(0, 30))""")


def shoot(page, name: str) -> None:  # noqa: ANN001
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.mark.parametrize("role", ["officer", "supervisor", "admin"])
def test_every_page_is_one_tap_away_marked_when_current_and_fits_the_phone(demo_server, browser, role):
    base_url, details = demo_server
    context = browser.new_context(viewport=PHONE, base_url=base_url, locale="th-TH")
    page = sign_in(context, role)
    problems = []
    for index, href in enumerate(MENU[role]):
        if href == "/field":
            continue  # the phone app has its own shell and menu (tests/browser/field)
        page.goto(href)
        menu = page.locator("details.menu")
        expect(menu).to_be_visible()
        expect(page.locator("nav.wide-menu")).to_be_hidden()
        page.click("details.menu > summary")
        links = page.locator("details.menu .menu-list a")
        expect(links.first).to_be_visible()
        assert [link.get_attribute("href") for link in links.all()] == MENU[role]
        for link in links.all():
            expect(link).to_be_visible()
            box = link.bounding_box()
            assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        current = page.locator('details.menu a[aria-current="page"]')
        expect(current).to_have_count(1)
        assert current.get_attribute("href") == href
        shoot(page, f"{role}-{index:02d}-menu{href.replace('/', '_')}")
        page.click("details.menu > summary")  # closed again
        shoot(page, f"{role}-{index:02d}-page{href.replace('/', '_')}")
        if overflow(page) > 0:
            problems.append(f"{href} is {overflow(page)} px too wide")
        problems += [f"{href}: unlabelled cell {cell}" for cell in unlabelled_cells(page)]
    for href in details:
        page.goto(href)
        shoot(page, f"{role}-page{href.replace('/', '_')}")
        if overflow(page) > 0:
            problems.append(f"{href} is {overflow(page)} px too wide")
        problems += [f"{href}: unlabelled cell {cell}" for cell in unlabelled_cells(page)]
    context.close()
    assert problems == [], "\n".join(problems)


def test_the_menu_opens_and_marks_the_page_without_javascript(demo_server, browser):
    base_url, _details = demo_server
    context = browser.new_context(viewport=PHONE, base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/login")
    page.fill("#f-username", "supervisor")
    page.fill("#f-password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.goto("/households")
    page.click("details.menu > summary")
    expect(page.locator("details.menu .menu-list a[href='/admin/audit']")).to_have_count(0)
    expect(page.locator("details.menu .menu-list a[href='/review']")).to_be_visible()
    expect(page.locator('details.menu a[aria-current="page"]')).to_have_attribute("href", "/households")
    page.click("details.menu .menu-list a[href='/groups']")
    assert page.url.endswith("/groups")
    context.close()


@pytest.mark.parametrize("role", ["officer", "admin"])
def test_a_wide_screen_shows_the_menu_groups_in_one_row_with_the_current_page_marked(demo_server, browser, role):
    base_url, _details = demo_server
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=base_url, locale="th-TH")
    page = sign_in(context, role)
    page.goto("/trainings")
    expect(page.locator("details.menu")).to_be_hidden()
    expect(page.locator('nav.wide-menu a[aria-current="page"]')).to_have_attribute("href", "/trainings")
    expect(page.locator("nav.wide-menu a")).to_have_count(len(MENU[role]))
    groups = page.locator("nav.wide-menu details.menu-group")
    assert [g.get_attribute("data-menu-group") for g in groups.all()] == GROUPS
    tops = {round(g.locator("summary").bounding_box()["y"]) for g in groups.all()}
    assert len(tops) == 1  # one row
    assert page.locator("header.topbar").bounding_box()["height"] < 80
    expect(page.locator('details.menu-group[data-menu-group="work"] > summary')).to_have_class("here")
    shoot(page, f"wide-{role}-menu-closed")
    page.click('details.menu-group[data-menu-group="reports"] > summary')
    reports = page.locator('details.menu-group[data-menu-group="reports"] .menu-drop a')
    assert [a.get_attribute("href") for a in reports.all()] == REPORTS
    for link in reports.all():
        expect(link).to_be_visible()
    shoot(page, f"wide-{role}-menu-reports")
    reports.nth(0).click()
    assert page.url.endswith("/progress")
    expect(page.locator('nav.wide-menu a[aria-current="page"]')).to_have_attribute("href", "/progress")
    expect(page.locator('details.menu-group[data-menu-group="reports"] > summary')).to_have_class("here")
    assert overflow(page) <= 0
    context.close()


def test_the_selection_keeps_save_in_reach_counts_the_choice_and_filters_without_losing_any(demo_server, browser):
    base_url, details = demo_server
    select_url = next(url for url in details if url.endswith("/select"))
    context = browser.new_context(viewport=PHONE, base_url=base_url)
    page = sign_in(context, "officer")
    page.goto(select_url)
    save = page.locator(".sticky-actions button[type=submit]")
    count = page.locator("[data-count-checked]")
    chosen = page.locator("#selection-rows input[name=selected]:checked").count()
    expect(count).to_have_text(str(chosen))
    page.mouse.wheel(0, 3000)  # deep in the list, Save is still on the screen
    box = save.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"]
    shoot(page, "selection-scrolled")

    first_free = page.locator("#selection-rows tr:has(input[name=selected]:not(:checked))").first
    name = first_free.get_attribute("data-filter-text").split()[0]
    page.fill("#selection-filter", name)
    visible = page.locator("#selection-rows tr:visible")
    assert 1 <= visible.count() < page.locator("#selection-rows tr").count()
    visible.first.locator("input[name=selected]").check()
    expect(count).to_have_text(str(chosen + 1))
    page.check("[data-filter-checked]")  # the name filter and "only chosen": the one just ticked
    expect(page.locator("#selection-rows tr:visible input[name=selected]:checked")).to_have_count(
        page.locator("#selection-rows tr:visible").count())
    shoot(page, "selection-filtered")
    save.click()
    page.goto(select_url)  # every earlier choice kept, though the filter hid it when saving
    expect(page.locator("[data-count-checked]")).to_have_text(str(chosen + 1))
    context.close()
