"""Every field page at 360 px: no serious or critical axe-core violation, nothing wider than the
screen, every target at least 44 px high, Thai first and English on request, also from the cache."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.field.conftest import prepare, sign_in, wait_for_worker

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "support" / "vendor" / "axe-4.10.3.min.js"

SERIOUS = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`);
}"""

SMALL_TARGETS = """() => [...document.querySelectorAll('button, a, input:not([type=checkbox]):not([type=hidden]), label.check, textarea')]
    .filter(el => el.offsetParent !== null)
    .filter(el => el.getBoundingClientRect().height < 44)
    .map(el => el.outerHTML.slice(0, 80))"""


def test_the_field_pages_are_accessible_on_a_small_phone(field_world, server, phone_factory):
    village = field_world.villages["34140101"]
    household_id = village.household_ids[0]
    page = phone_factory("a11y").page
    sign_in(page, "north")
    page.click("details.menu > summary")  # the office menu, a button on a phone
    expect(page.locator('details.menu a[href="/field"]')).to_be_visible()
    prepare(page, [village.id])
    wait_for_worker(page)
    pages = ["/field", "/field/prepare", f"/field/sessions/{village.session_ids[0]}",
             f"/field/households/{household_id}", f"/field/households/{household_id}/surveys/baseline",
             f"/field/villages/{village.id}/households/new", "/field/outbox"]
    for url in pages:
        page.goto(url)
        expect(page.locator("[data-sync-status]")).to_have_attribute("data-state", "idle")
        page.evaluate(AXE.read_text(encoding="utf-8"))  # a tool of the test: the CSP (rightly) refuses inline scripts
        assert page.evaluate(SERIOUS) == [], url
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), url
        assert page.evaluate(SMALL_TARGETS) == [], url

    page.goto(f"/field/sessions/{village.session_ids[0]}")
    expect(page.locator(f'[data-household-id="{household_id}"] [data-mark="present"]')).to_have_text("มา")
    page.click("a.lang")
    expect(page.locator(f'[data-household-id="{household_id}"] [data-mark="present"]')).to_have_text("Present")
    server.stop()  # English stays with the phone when the server is out of reach
    page.goto(f"/field/households/{household_id}")
    expect(page.locator('[data-survey-kind="baseline"]')).to_contain_text("Baseline survey")
    page.click("a.lang")
    expect(page.locator('[data-survey-kind="baseline"]')).to_contain_text("สำรวจก่อนอบรม")
    server.start()
