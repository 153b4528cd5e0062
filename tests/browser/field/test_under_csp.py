"""The phone and office pages work under the strict Content-Security-Policy in Chromium: the service
worker, the phone's pages, a tap synced to the server and htmx's live search, with no violation."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.field.conftest import prepare, sign_in, wait_for_worker, wait_pending

pytestmark = pytest.mark.browser

# Every violation the page sees (the event fires for blocked scripts, styles, handlers and eval).
WATCH = """document.addEventListener('securitypolicyviolation', (e) => {
  console.error('csp-violation ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile);
});"""


def test_pages_run_under_the_policy_without_a_violation(field_world, server, phone_factory):
    village = field_world.villages["34140101"]
    phone = phone_factory("csp")
    page = phone.page
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if (
        "csp-violation" in message.text or "Content Security Policy" in message.text) else None)
    phone.context.add_init_script(WATCH)

    sign_in(page, "north")
    prepare(page, [village.id])
    assert wait_for_worker(page)  # the service worker installed and precached under the policy
    household = village.household_ids[0]
    for path in ("/field", "/field/prepare", f"/field/households/{household}",
                 f"/field/households/{household}/surveys/baseline",
                 f"/field/villages/{village.id}/households/new", "/field/outbox"):
        page.goto(path)
        expect(page.locator("main")).to_be_visible()
    page.goto(f"/field/sessions/{village.session_ids[0]}")
    button = page.locator(f'[data-household-id="{household}"] [data-mark="present"]')
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    wait_pending(page, 0)  # sent by the phone's modules, answered by the server

    for path in ("/", "/households", "/sages", "/trainings", "/review", "/print/villages/34140101"):
        page.goto(path)
        expect(page.locator("h1").first).to_be_visible()
    page.goto("/villages")
    page.evaluate("window.__marker = 'same page'")
    page.fill("#q", "โคก")
    expect(page.locator("#village-rows")).to_contain_text("บ้านโคกสมมุติ")
    expect(page.locator("#village-rows")).not_to_contain_text("บ้านนาทดลอง")
    assert page.evaluate("window.__marker") == "same page"  # swapped by htmx under the policy
    page.goto("/households")
    page.evaluate("window.__marker = 'households'")
    page.select_option("select[name=village]", index=1)
    expect(page).to_have_url(re.compile(r"village="))  # the list filter's htmx request, pushed to the URL
    assert page.evaluate("window.__marker") == "households"

    assert violations == []
