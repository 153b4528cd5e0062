"""Storage trouble is said, with what to do: a browser that refuses IndexedDB, a write refused for
lack of space, storage the browser may clear, little space left. Nothing typed is dropped silently."""
import pytest
from playwright.sync_api import expect

from tests.browser.field.conftest import outbox, ready_to_work, sign_in

pytestmark = pytest.mark.browser

NO_INDEXEDDB = """
Object.defineProperty(IDBFactory.prototype, "open", { value() {
    throw new DOMException("The user denied permission to access the database.", "InvalidStateError"); } });
"""

OUTBOX_FULL = """() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (...args) {
        if (this.name === "outbox") throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
        return put.apply(this, args);
    };
}"""

STORAGE_TIGHT = """
navigator.storage.persisted = async () => false;
navigator.storage.persist = async () => false;
navigator.storage.estimate = async () => ({ usage: 2 * 1024 * 1024, quota: 9 * 1024 * 1024 });
"""


def test_a_browser_that_refuses_storage_says_so_instead_of_waiting(field_world, server, phone_factory):
    phone = phone_factory("no-idb")
    phone.context.add_init_script(NO_INDEXEDDB)
    page = phone.page
    sign_in(page, "north")
    page.goto("/field")
    expect(page.locator('[data-storage-problem="unavailable"]')).to_contain_text("หน้าต่างส่วนตัว")
    expect(page.locator("[data-sync-text]")).to_contain_text("ไม่อนุญาตให้แอปเก็บข้อมูล")


def test_a_capture_refused_for_lack_of_space_is_said_and_the_form_keeps_it(field_world, server, phone_factory):
    village = field_world.villages["34140101"]
    page = phone_factory("full").page
    ready_to_work(page, "north", [village.id])

    page.goto(f"/field/villages/{village.id}/households/new")
    page.evaluate(OUTBOX_FULL)
    typed = {"house_no": "31/4", "head_name": "นางเต็มเครื่อง ทดสอบ", "members": "2", "annual_income": "18000"}
    for name, value in typed.items():
        page.fill(f'input[name="{name}"]', value)
    page.click('form [type="submit"]')
    expect(page.locator('[data-save-failed="quota"]')).to_contain_text("พื้นที่ในเครื่องเต็ม")
    expect(page.locator("[data-saved]")).to_have_count(0)
    for name, value in typed.items():
        expect(page.locator(f'input[name="{name}"]')).to_have_value(value)

    page.goto(f"/field/sessions/{village.session_ids[0]}")
    page.evaluate(OUTBOX_FULL)
    row = page.locator(f'[data-household-id="{village.household_ids[0]}"]')
    row.locator('[data-mark="present"]').click()
    expect(row.locator('[data-save-failed="quota"]')).to_be_visible()
    expect(row.locator('[data-mark="present"]')).to_have_attribute("aria-pressed", "false")
    assert outbox(page) == []


def test_storage_the_browser_may_clear_or_nearly_full_is_said(field_world, server, phone_factory):
    phone = phone_factory("tight")
    phone.context.add_init_script(STORAGE_TIGHT)
    page = phone.page
    sign_in(page, "south")
    page.goto("/field")
    expect(page.locator('[data-storage-warning="not_kept"]')).to_contain_text("ติดตั้งแอป")
    expect(page.locator('[data-storage-warning="low"]')).to_contain_text("พื้นที่ในเครื่องเหลือน้อย")
