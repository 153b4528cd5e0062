"""The phone's speed in a real Chromium: app-shell size, tap to answer, preparing a village, and
sending a field day over a 3G-throttled network.

    python bench/field.py

Prints:
- the app shell (every field page's HTML in Thai, CSS, the phone's JavaScript modules, manifest), gzipped;
- tap → aria-pressed on attendance sheets of 20 households (median and p95, 5 sheets = 100 taps);
- preparing a village of 20 households (tap "prepare" → the village is ready on the phone);
- both again with Chromium's CPU throttled 4× (CDP Emulation.setCPUThrottlingRate), a cheap Android:
  p50 and p95 of the taps (goal p95 ≤ 100 ms), and the prepare of the second village;
- a field day (20 households × 5 days + 20 baseline surveys = 120 ops) captured offline, then sent
  and pulled back with the network throttled to 3G (Chrome's "Regular 3G": 100 ms latency,
  750 kbit/s down, 250 kbit/s up): time from "sync now" to nothing pending, and bytes each way.
"""
from __future__ import annotations

import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402
from sqlmodel import Session  # noqa: E402

from server.core.db import make_engine  # noqa: E402
from server.core.migrate import upgrade  # noqa: E402
from server.pages.field import SHELLS, precache_urls  # noqa: E402
from server.config.reference_data import ensure_defaults  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.factories import (  # noqa: E402
    DEFAULT_PASSWORD,
    make_enrollment,
    make_geography,
    make_household,
    make_training,
    make_user,
)
from tests.support.servers import free_port, start_server, stop_server  # noqa: E402

HOUSEHOLDS = 20
REGULAR_3G = {"offline": False, "latency": 100, "downloadThroughput": 750 * 1024 / 8,
              "uploadThroughput": 250 * 1024 / 8}


def seed(url: str) -> dict:
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        ensure_defaults(db)
        geo = make_geography(db)
        make_user(db, username="bench", role="officer", subdistrict_codes=["341401"])
        villages = {}
        for village in geo["villages"][:2]:
            course = make_training(db, village_id=village.id)  # the 5 days ending yesterday
            homes = [make_household(db, village_id=village.id, house_no=f"{n}/1", head_name=f"ครัวเรือนทดสอบ {n}")
                     for n in range(1, HOUSEHOLDS + 1)]
            for home in homes:
                make_enrollment(db, training=course["training"], household=home)
            villages[village.id] = {"sessions": [s.id for s in course["sessions"]], "households": [h.id for h in homes]}
    engine.dispose()
    return villages


def shell_bytes(base_url: str) -> tuple[int, int]:
    urls = [u for u in precache_urls() if not u.endswith(".png") and not u.endswith(".svg")
            and ("?lang=" not in u or u.endswith("?lang=th"))]
    raw = zipped = 0
    with httpx.Client(base_url=base_url) as client:
        for url in urls:
            body = client.get(url).content
            raw += len(body)
            zipped += len(gzip.compress(body, compresslevel=6))
    return raw, zipped


TAP_TIMES = """async () => {
    const times = [];
    for (const row of document.querySelectorAll('[data-household-id]')) {
        const button = row.querySelector('[data-mark="present"]');
        const start = performance.now();
        const pressed = new Promise((resolve) => {
            const watch = new MutationObserver(() => {
                if (button.getAttribute('aria-pressed') === 'true') { watch.disconnect(); resolve(); }
            });
            watch.observe(button, {attributes: true, attributeFilter: ['aria-pressed']});
        });
        button.click();
        await pressed;
        times.push(performance.now() - start);
    }
    return times;
}"""


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="sammachip-bench-field-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    villages = seed(url)
    port = free_port()
    process, base_url = start_server(url, port=port)
    try:
        raw, zipped = shell_bytes(base_url)
        print(f"app shell: {len(SHELLS)} pages + CSS + JS = {raw / 1024:.1f} KB, "
              f"{zipped / 1024:.1f} KB gzipped (budget 100 KB)")
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(tmp / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, base_url=base_url,
                viewport={"width": 360, "height": 740}, locale="th-TH", timezone_id="Asia/Bangkok")
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(120_000)
            page.goto("/login")
            page.fill("#f-username", "bench")
            page.fill("#f-password", DEFAULT_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base_url}/")
            page.goto("/field/prepare")
            village_id, village = next(iter(villages.items()))
            checkbox = page.locator(f'input[name="village"][value="{village_id}"]')
            checkbox.check()
            started = time.perf_counter()
            page.click('[data-action="prepare"]')
            expect(page.locator(f'[data-prepared-village="{village_id}"]')).to_be_visible()
            prepared_in = time.perf_counter() - started
            print(f"prepare a village of {HOUSEHOLDS} households: {prepared_in * 1000:.0f} ms")
            page.evaluate("navigator.serviceWorker.ready")

            # A cheap Android: the same with the CPU 4× slower, on the second village.
            slow_id, slow_village = list(villages.items())[1]
            throttle = context.new_cdp_session(page)
            throttle.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            page.goto("/field/prepare")
            page.locator(f'input[name="village"][value="{slow_id}"]').check()
            started = time.perf_counter()
            page.click('[data-action="prepare"]')
            expect(page.locator(f'[data-prepared-village="{slow_id}"]')).to_be_visible()
            print(f"prepare a village of {HOUSEHOLDS} households, CPU 4× slower: "
                  f"{(time.perf_counter() - started) * 1000:.0f} ms")
            throttle.send("Emulation.setCPUThrottlingRate", {"rate": 1})

            stop_server(process)  # the field day happens with no signal
            for label, sheet, rate in (("", village, 1), (", CPU 4× slower", slow_village, 4)):
                throttle.send("Emulation.setCPUThrottlingRate", {"rate": rate})
                taps: list[float] = []
                for session_id in sheet["sessions"]:
                    page.goto(f"/field/sessions/{session_id}")
                    expect(page.locator("[data-household-id]")).to_have_count(HOUSEHOLDS, timeout=60_000)
                    taps += page.evaluate(TAP_TIMES)
                print(f"tap → aria-pressed over {len(taps)} taps ({HOUSEHOLDS}-household sheets{label}): "
                      f"p50 {statistics.median(taps):.1f} ms, p95 {p95(taps):.1f} ms, max {max(taps):.1f} ms")
            throttle.send("Emulation.setCPUThrottlingRate", {"rate": 1})
            for household_id in village["households"]:
                page.goto(f"/field/households/{household_id}/surveys/baseline")
                page.fill('input[name="annual_income"]', "42000")
                page.fill('input[name="trade_income_month"]', "1200")
                page.check('input[name="practising_trade"]')
                page.click('form [type="submit"]')
                expect(page.locator("[data-saved]")).to_be_visible()
            ops = 2 * HOUSEHOLDS * 5 + HOUSEHOLDS
            expect(page.locator("[data-sync-status]")).to_have_attribute("data-pending", str(ops))

            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", REGULAR_3G)
            received = {"bytes": 0}
            api_requests: set[str] = set()

            def on_request(event: dict) -> None:
                if "/api/sync/" in event["request"]["url"]:
                    api_requests.add(event["requestId"])

            def on_finished(event: dict) -> None:
                if event["requestId"] in api_requests:
                    received["bytes"] += int(event.get("encodedDataLength", 0))

            cdp.on("Network.requestWillBeSent", on_request)
            cdp.on("Network.loadingFinished", on_finished)
            page.evaluate("""() => {
                window.__sent = 0;
                const original = window.fetch;
                window.fetch = (input, init) => {
                    if (String(input).includes('/api/sync/') && init && init.body) {
                        window.__sent += typeof init.body === 'string' ? new TextEncoder().encode(init.body).length
                                                                       : init.body.byteLength;
                    }
                    return original(input, init);
                };
            }""")
            process, _ = start_server(url, port=port)
            started = time.perf_counter()
            page.click('[data-action="sync-now"]')
            expect(page.locator("[data-sync-status]")).to_have_attribute("data-pending", "0")
            expect(page.locator("[data-sync-status]")).to_have_attribute("data-state", "idle")
            synced_in = time.perf_counter() - started
            sent = page.evaluate("window.__sent")
            print(f"sync a field day ({ops} ops) over Regular 3G: {synced_in:.1f} s, "
                  f"{sent / 1024:.1f} KB sent (request bodies), {received['bytes'] / 1024:.1f} KB received")
            context.close()
    finally:
        stop_server(process)


if __name__ == "__main__":
    main()
