"""Thai words reach the interface through the message catalogs, not through literals in Python."""
import ast
import datetime as dt
import re
from pathlib import Path

from server.core.dates import format_date
from tests.foundation.helpers import sign_in
from tests.support.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
THAI_LETTERS = re.compile(r"[\u0e01-\u0e4f]")  # Thai letters and marks (Thai digits ๐–๙ are not words)
# Modules whose Thai literals are data, not messages.
DATA = {
    "server/config/reference_data.py": "the default configuration rows, with their Thai and English names",
    "server/demo.py": "the fictitious demo district",
    "server/program/household_import.py": "the Thai column headings an uploaded file may use",
    "server/program/district_lists.py": "the Thai column headings of the department's household lists",
    "server/pages/partners.py": "the support organisations' names and meeting audiences, stored in Thai",
    "server/pages/sages.py": "who found a sage, stored in Thai",
    "server/review/names.py": "the Thai titles a name may start with, to compare names without them",
    "server/reports/scale.py": "the fictitious names of the generated program of seed-scale",
}


def _not_messages(tree: ast.AST) -> set[int]:
    """Docstrings, and message ids handed to gettext (an English id may name "the 5 ก principle")."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("gettext_", "ngettext_", "_"):
            ids.update(id(arg) for arg in node.args)
    return ids


def test_no_thai_message_is_written_in_python() -> None:
    found = []
    for path in sorted((ROOT / "server").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        if name in DATA or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _not_messages(tree)
        found += [f"{name}:{node.lineno}" for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and id(node) not in skip and THAI_LETTERS.search(node.value)]
    assert found == []


def test_months_come_from_the_catalog_in_the_language_asked_for() -> None:
    thai = [format_date(dt.date(2026, month, 1), "th").split()[1] for month in range(1, 13)]
    english = [format_date(dt.date(2026, month, 1), "en").split()[1] for month in range(1, 13)]

    assert thai == ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]
    assert english == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def test_the_import_template_example_is_in_the_users_language(client, engine) -> None:
    from sqlmodel import Session

    with Session(engine) as db:
        make_user(db, username="admin1", role="admin")
    sign_in(client, "admin1")

    thai = client.get("/households/import/template.csv").content.decode("utf-8-sig")
    client.get("/lang/en?next=/")
    english = client.get("/households/import/template.csv").content.decode("utf-8-sig")

    assert "นางสมมุติ ตัวอย่าง" in thai.splitlines()[1]
    assert "Mrs Sample Example" in english.splitlines()[1]


def test_the_phones_checks_and_dates_take_their_words_from_the_catalogs() -> None:
    """rules.js and format.js say what the server says: the field pages hand them the catalogs' words."""
    for name in ("rules.js", "format.js", "record-words.js"):
        path = ROOT / "pwa" / "js" / name
        if path.exists():
            code = [line for line in path.read_text(encoding="utf-8").splitlines()
                    if not line.lstrip().startswith("//")]
            assert not any(THAI_LETTERS.search(line) for line in code), name


def test_the_phones_words_are_the_servers_in_both_languages() -> None:
    from server.program.field_checks import check_int
    from server.program.phone_words import RULE_MESSAGES, phone_words

    words = phone_words(checks=True)
    assert set(RULE_MESSAGES) <= set(words)
    assert all(THAI_LETTERS.search(words[m]) for m in RULE_MESSAGES), "every check has its Thai"
    refused = check_int("annual_income", -5)[0]
    assert (words[refused.message_id], refused.message_id) == (refused.message("th"), refused.message("en"))
