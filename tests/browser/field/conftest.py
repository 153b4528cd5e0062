"""The phone in Chromium: a seeded database and one real server per test module, restartable on the
same port (same origin), and persistent browser profiles that survive closing the browser."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright
from sqlmodel import Session

from server.core.db import make_engine
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.databases import copy_sqlite
from tests.support.factories import (
    DEFAULT_PASSWORD,
    make_enrollment,
    make_geography,
    make_household,
    make_training,
    make_user,
)
from tests.support.servers import free_port, start_server, stop_server

PHONE = {"width": 360, "height": 740}


@dataclass
class Village:
    id: str
    training_id: str
    session_ids: list[str]
    household_ids: list[str]  # selected for the training, in house-number order
    withdrawn_id: str


@dataclass
class FieldWorld:
    db_url: str
    villages: dict[str, Village] = field(default_factory=dict)


def _seed(db_url: str) -> FieldWorld:
    world = FieldWorld(db_url=db_url)
    engine = make_engine(db_url)
    with Session(engine) as db:
        geo = make_geography(db)
        make_user(db, username="north", role="officer", subdistrict_codes=["341401"])
        make_user(db, username="south", role="officer", subdistrict_codes=["341402"])
        make_user(db, username="north2", role="officer", subdistrict_codes=["341401"])
        make_user(db, username="east", role="officer",
                  village_ids=[geo["village"]["34140101"].id, geo["village"]["34140102"].id])
        for code, village in geo["village"].items():
            course = make_training(db, village_id=village.id)
            households = [make_household(db, village_id=village.id, house_no=f"{n}/{code[-1]}",
                                         head_name=f"นางทดลอง บ้าน{code[-2:]}-{n}", members=3 + n % 3,
                                         annual_income=30_000 + 1_000 * n) for n in range(1, 5)]
            for household in households:
                make_enrollment(db, training=course["training"], household=household)
            withdrawn = make_household(db, village_id=village.id, house_no=f"9/{code[-1]}", head_name="นายถอนตัว สมมุติ")
            make_enrollment(db, training=course["training"], household=withdrawn, status="withdrawn")
            world.villages[code] = Village(id=village.id, training_id=course["training"].id,
                                           session_ids=[s.id for s in course["sessions"]],
                                           household_ids=[h.id for h in households], withdrawn_id=withdrawn.id)
    engine.dispose()
    return world


@pytest.fixture(scope="module")
def field_world(_migrated_template, pg_databases, tmp_path_factory) -> Any:
    if pg_databases is None:
        url = copy_sqlite(Path(_migrated_template), tmp_path_factory.mktemp("field") / "field.db")
        yield _seed(url)
        return
    name = pg_databases.create("field", template=_migrated_template)
    try:
        yield _seed(pg_databases.url_for(name))
    finally:
        pg_databases.drop(name)


class Server:
    """The app on one fixed port: stopping it is the phone's "no signal"; starting it again keeps the origin."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self, **env: str) -> None:
        self.process, _ = start_server(self.db_url, port=self.port, env=env)

    def stop(self) -> None:
        if self.process is not None:
            stop_server(self.process)
            self.process = None


@pytest.fixture(scope="module")
def server(field_world) -> Any:
    running = Server(field_world.db_url)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def playwright_driver() -> Any:
    with sync_playwright() as playwright:
        yield playwright


class Phone:
    """One phone: a persistent Chromium profile that can be closed and opened again."""

    def __init__(self, playwright, profile: Path, base_url: str) -> None:
        self.playwright, self.profile, self.base_url = playwright, profile, base_url
        self.context: BrowserContext | None = None
        self.page: Page | None = None

    def open(self) -> Page:
        self.context = self.playwright.chromium.launch_persistent_context(
            str(self.profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, base_url=self.base_url,
            viewport=PHONE, locale="th-TH", timezone_id="Asia/Bangkok")
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.page.set_default_timeout(20_000)
        return self.page

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = None


@pytest.fixture
def phone_factory(playwright_driver, server, tmp_path) -> Any:
    phones: list[Phone] = []

    def make(name: str = "phone") -> Phone:
        phone = Phone(playwright_driver, tmp_path / f"profile-{name}-{uuid.uuid4().hex[:6]}", server.base_url)
        phones.append(phone)
        phone.open()
        return phone

    yield make
    for phone in phones:
        phone.close()


# --- what an officer does -------------------------------------------------------------------------

def sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.fill("#f-username", username)
    page.fill("#f-password", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_be_visible()
    assert "/login" not in page.url


def wait_for_worker(page: Page) -> str:
    """The service worker is active, controls the page and has precached the shell; its cache name.

    A page opened while the worker was still installing is controlled from its next load on (as an
    officer's next page would be): after a few seconds without control the page is loaded again.
    page.evaluate has no timeout of its own, so the wait in the page is bounded too.
    """
    for _attempt in range(4):
        found = page.evaluate("""async () => {
            const deadline = Date.now() + 8000;
            const ready = navigator.serviceWorker.ready.then(() => true);
            while (Date.now() < deadline) {
                if (navigator.serviceWorker.controller && await Promise.race(
                        [ready, new Promise(r => setTimeout(() => r(false), 100))])) {
                    const keys = (await caches.keys()).filter(k => k.startsWith('sammachip-'));
                    return keys.join(',');
                }
                await new Promise(r => setTimeout(r, 100));
            }
            return null;
        }""")
        if found is not None:
            return found
        page.reload()
    raise AssertionError("no service worker took control of the page")


def prepare(page: Page, village_ids: list[str]) -> None:
    page.goto("/field/prepare")
    for village_id in village_ids:
        page.locator(f'input[name="village"][value="{village_id}"]').check()
    page.click('[data-action="prepare"]')
    for village_id in village_ids:
        expect(page.locator(f'[data-prepared-village="{village_id}"]')).to_be_visible()


def ready_to_work(page: Page, username: str, village_ids: list[str]) -> None:
    """The officer signed in, these villages prepared on the phone, and its service worker in control."""
    sign_in(page, username)
    prepare(page, village_ids)
    wait_for_worker(page)


def outbox(page: Page) -> list[dict]:
    """The phone's outbox as stored (IndexedDB), oldest first."""
    return page.evaluate("async () => (await import('/static/js/store.js')).outboxAll()")


def wait_outbox_empty(page: Page, timeout: float = 60_000) -> None:
    """The phone's outbox, read again until it is empty. (page.wait_for_function cannot do this: it
    takes the promise an async check returns for a truthy answer, and returns at once.)"""
    deadline = time.monotonic() + timeout / 1000
    while ops := outbox(page):
        if time.monotonic() > deadline:
            raise AssertionError(f"the outbox still holds {len(ops)} op(s): {ops}")
        page.wait_for_timeout(200)


def status(page: Page) -> dict[str, str]:
    return page.locator("[data-sync-status]").evaluate(
        "el => ({pending: el.dataset.pending, rejected: el.dataset.rejected, state: el.dataset.state,"
        " lastSync: el.dataset.lastSync})")


def wait_pending(page: Page, count: int, timeout: float = 20_000) -> None:
    expect(page.locator("[data-sync-status]")).to_have_attribute("data-pending", str(count), timeout=timeout)
