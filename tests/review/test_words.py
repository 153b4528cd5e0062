"""Every record in words: the review pages show labels, names, baht and Buddhist-Era dates, never a
field name, an id or an ISO time."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from litestar.testing import TestClient
from sqlmodel import Session

from server.core.i18n import current_locale
from server.models import Household, Sage, User
from server.review.record_words import SHOWN, RecordWords
from server.program.rules import thai_today
from server.synced.specs import REGISTRY
from tests.foundation.helpers import sign_in as browser_sign_in
from tests.review.conftest import post
from tests.support.factories import valid_citizen_id
from tests.sync.helpers import op, pull_all, push_ok, sign_in

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?")
FIELD_NAMES = {name for entity in SHOWN for name in REGISTRY.entities[entity].kinds}


class _Visible(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.parts)


def raw_bits(text: str) -> list[str]:
    found = UUID.findall(text) + ISO_TIME.findall(text)
    found += [name for name in FIELD_NAMES if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)]
    return found


def _a_district_at_work(client, area, engine):
    """Two phones' day: a household edited on both (a conflict), a sage, an enrollment, attendance with a
    note, a survey; a needs-fix task on each."""
    home = area.households[0]
    first = sign_in(client, "somchai", "Galaxy A14")
    second = sign_in(client, "malee", "Redmi 12")  # malee's area does not cover it: the supervisor does
    with Session(engine) as db:
        db.get(User, area.users["malee"].id)
    day_one = area.sessions[0]
    sage_id = push_ok(client, first, [op("sage", fields={"village_id": area.villages[0].id, "name": "นายปราชญ์ ทดลอง",
                                                         "citizen_id": valid_citizen_id(77), "phone": "0811111111",
                                                         "skills": ["orchard"], "workshop_date": "2026-11-01",
                                                         "found_by": "อช.", "note": "ทอผ้าเก่ง"})])[0]["id"]
    results = push_ok(client, first, [
        op("household", home.id, {"citizen_id": valid_citizen_id(12), "annual_income": 48_000, "interest": "orchard",
                                  "phone": "0899999999", "note": "บ้านริมน้ำ"}, base_seq=home.seq),
        op("enrollment", fields={"training_id": area.training.id, "household_id": home.id}),
        op("attendance", fields={"session_id": day_one.id, "household_id": home.id, "present": False,
                                 "note": "ป่วย ไปโรงพยาบาล"}),
        op("survey", fields={"household_id": home.id, "kind": "baseline", "surveyed_on": thai_today().isoformat(),
                             "annual_income": 48_000, "trade_income_month": 1_500, "practising_trade": True,
                             "note": "สำรวจที่บ้าน"}),
    ])
    ids = {"household": home.id, "sage": sage_id, "enrollment": results[1]["id"], "attendance": results[2]["id"],
           "survey": results[3]["id"]}
    # The same household's income typed differently on another phone of the same officer: a conflict.
    other = sign_in(client, "somchai", "Vivo Y17")
    push_ok(client, other, [op("household", home.id, {"annual_income": 52_000}, base_seq=home.seq,
                               captured_at="2026-12-05T21:57:42+07:00")])
    return ids


def test_every_field_of_every_entity_reads_in_words(client, area, engine):
    with Session(engine) as db:
        supervisor = db.get(User, area.users["boss"].id)
        household = db.get(Household, area.households[0].id)
        words = RecordWords(db, supervisor)
        token = current_locale.set("th")
        try:
            for entity in SHOWN:
                assert set(SHOWN[entity]) == set(REGISTRY.entities[entity].kinds), entity
            values = {
                "household": {name: getattr(household, name) for name in SHOWN["household"]}
                | {"citizen_id": valid_citizen_id(5), "interest": "orchard", "annual_income": 1_234_567},
                "sage": {"village_id": area.villages[0].id, "name": "นายปราชญ์", "citizen_id": valid_citizen_id(6),
                         "phone": "0811111111", "skills": ["orchard"], "found_by": "อช.",
                         "workshop_date": "2026-11-01", "note": "x"},
                "enrollment": {"training_id": area.training.id, "household_id": household.id, "occupation": "orchard",
                               "status": "selected", "reason": "ยากจน"},
                "attendance": {"session_id": area.sessions[0].id, "household_id": household.id, "present": True,
                               "note": "มา"},
                "survey": {"household_id": household.id, "kind": "baseline", "surveyed_on": "2026-11-24",
                           "annual_income": 48_000, "trade_income_month": 1_500, "practising_trade": False,
                           "note": "x"},
                "review_task": {"record_entity": "survey", "record_id": household.id, "note": "x",
                                "status": "open", "fixed_note": None},
            }
            for entity, record in values.items():
                shown = words.fields(entity, record)
                text = " ".join(f"{label} {value}" for label, value in shown)
                assert raw_bits(text) == [], (entity, text)
            household_text = dict(words.fields("household", values["household"]))
        finally:
            current_locale.reset(token)
    assert "1,234,567 บาท" in household_text.values()
    assert any(area.villages[0].code in value and area.villages[0].name in value for value in household_text.values())
    assert valid_citizen_id(5) not in household_text.values()  # masked for a supervisor


def test_no_review_page_shows_a_field_name_an_id_or_an_iso_time(client, app, area, engine, office):
    ids = _a_district_at_work(client, area, engine)
    boss = office("boss")
    for entity, record_id in ids.items():
        post(boss, f"/review/records/{entity}/{record_id}/tasks", {"note": "ตรวจอีกครั้ง"})
    reader = TestClient(app, base_url="http://testserver.local")
    reader.cookies.set("lang", "th")
    browser_sign_in(reader, "boss")
    pages = [f"/review/records/{entity}/{record_id}" for entity, record_id in ids.items()]
    pages += ["/review", "/review/conflicts", "/review/tasks?status=all", "/review/tasks?status=open",
              "/review/audit", f"/trainings/{area.training.id}/signoff", "/review/quality"]
    pages += [f"/review/quality/{rule}" for rule in ("missing_baseline", "sessions_without_attendance",
                                                     "selected_beyond_target", "duplicate_house_numbers")]
    leaks = {}
    for url in pages:
        response = reader.get(url)
        assert response.status_code == 200, url
        found = raw_bits(visible_text(response.text))
        if found:
            leaks[url] = found
    assert leaks == {}
    conflicts = visible_text(reader.get("/review/conflicts").text)
    assert "52,000 บาท" in conflicts and "Vivo Y17" in conflicts and "Galaxy A14" in conflicts
    assert "6 ธ.ค. 2569" in conflicts or "5 ธ.ค. 2569 21:57" in conflicts
