"""Report pages in a real Chromium at a phone's width (360 px), in Thai."""
from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import launch_chromium

pytestmark = pytest.mark.browser


def test_outcomes_and_progress_fit_a_360px_phone(live_server, program, tmp_path):
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 360, "height": 740})
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", "boss")
        page.fill("input[name=password]", "pw-test-1234")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/")
        for path in ("/outcomes?year=2570&by=subdistrict", "/progress?year=2570", "/progress/villages/34140101?year=2570"):
            page.goto(live_server + path)
            # Nothing wider than the screen: wide tables scroll inside their own box.
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        page.goto(f"{live_server}/outcomes?year=2570&by=subdistrict")
        chart = page.locator("#chart-practising svg")
        assert chart.is_visible() and chart.bounding_box()["width"] <= 360
        assert page.locator("[data-indicator=practising] strong").inner_text() == "80.0%"
        assert page.locator("h1").inner_text().startswith("ผลลัพธ์เทียบตัวชี้วัดของกรม")
        page.screenshot(path=str(tmp_path / "outcomes-360.png"), full_page=True)
        browser.close()
