"""The interface's Thai speaks one way: the user is "ท่าน" (never "คุณ"), a number error says what to type,
and the menu names phones briefly ("อุปกรณ์")."""
import re
from pathlib import Path

from sqlmodel import Session

from server.program.field_checks import check_int
from tests.foundation.helpers import sign_in
from tests.support.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
# "คุณ" as a form of address; คุณภาพ (quality), คุณสมบัติ (property), คุณค่า (value) are other words.
YOU = re.compile(r"คุณ(?!ภาพ|สมบัติ|ค่า)")


def test_no_message_addresses_the_user_as_khun():
    sources = [*sorted((ROOT / "server" / "locale").rglob("*.po")),
               ROOT / "pwa" / "js" / "rules.js", *sorted((ROOT / "templates").glob("*.html"))]
    found = [f"{path.relative_to(ROOT)}:{number}" for path in sources
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if YOU.search(line) and not line.startswith("msgid")]
    assert found == []


def test_a_number_that_is_not_one_says_what_to_type():
    [error] = check_int("annual_income", "สามหมื่น")
    assert error.message("th") == "กรอกเป็นตัวเลข เช่น 36000"
    assert error.message("en") == "Type a whole number, e.g. 36000"


def test_the_menu_calls_phones_devices_in_a_short_word(client, engine):
    with Session(engine) as db:
        make_user(db, username="root", role="admin")
    sign_in(client, "root")
    page = client.get("/").text
    assert re.search(r'<a href="/devices">อุปกรณ์</a>', page)
    assert "โทรศัพท์ที่ลงชื่อเข้าใช้</a>" not in page
