"""Thai by default, English on request, dates in the Buddhist Era, and no untranslated message."""
import datetime as dt
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from server.core.dates import DateInputError, format_date, parse_date, to_input
from server.core.i18n import translations
from tests.foundation.helpers import sign_in
from tests.support.factories import make_geography, make_user

ROOT = Path(__file__).resolve().parents[2]


def test_dates_read_in_the_buddhist_era():
    assert format_date(dt.date(2026, 11, 24), "th") == "24 พ.ย. 2569"
    assert format_date(dt.date(2026, 11, 24), "en") == "24 Nov 2569 BE"
    assert to_input(dt.date(2026, 11, 24)) == "24/11/2569"


@pytest.mark.parametrize("typed", ["24/11/2569", "24-11-2569", "2569-11-24", "2026-11-24", "24/11/2026"])
def test_typed_dates_in_either_era_mean_the_same_day(typed):
    assert parse_date(typed) == dt.date(2026, 11, 24)


@pytest.mark.parametrize("typed", ["31/02/2569", "tomorrow", "24/13/2569"])
def test_impossible_dates_are_refused(typed):
    with pytest.raises(DateInputError):
        parse_date(typed)


def _used_message_ids() -> set[str]:
    method_map = [("server/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "gettext_": None, "ngettext_": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_in_the_interface_has_a_thai_translation():
    thai = translations("th")
    missing = sorted(m for m in _used_message_ids() if m and thai.gettext(m) == m)
    assert missing == []


def test_pages_are_thai_by_default_and_english_after_the_switch(client, engine):
    from sqlmodel import Session

    with Session(engine) as db:
        make_geography(db)
        make_user(db, username="admin1", role="admin")
        db.commit()
    sign_in(client, "admin1")
    thai = client.get("/")
    assert 'lang="th"' in thai.text and "หน้าแรก" in thai.text and "ปีงบประมาณ" in thai.text
    client.get("/lang/en?next=/")
    english = client.get("/")
    assert 'lang="en"' in english.text and "Home" in english.text and "Fiscal year" in english.text
    assert "หน้าแรก" not in english.text


def test_the_language_switch_never_redirects_off_site(client):
    response = client.get("/lang/en?next=//evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"


def test_the_language_switch_keeps_the_search(client, engine):
    from sqlmodel import Session

    with Session(engine) as db:
        make_geography(db)
        make_user(db, username="admin1", role="admin")
    sign_in(client, "admin1")
    page = client.get("/villages", params={"q": "นา"}).text
    assert "/lang/en?next=/villages%3Fq%3D" in page
