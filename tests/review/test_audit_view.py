"""The audit log for supervisors: their area only, filtered, exported to CSV."""
from __future__ import annotations

import csv
import datetime as dt
import io

from server.core.dates import THAI_TIME
from tests.sync.helpers import op, push_ok, sign_in


def _entries(page_html: str) -> int:
    return page_html.count("data-entry=")


def test_a_supervisor_reads_the_log_of_the_own_area_only(client, area, office):
    phone = sign_in(client, "somchai", "โทรศัพท์ ก")
    mine = area.households[0]
    push_ok(client, phone, [op("household", mine.id, {"phone": "0812223333"}, base_seq=mine.seq)])
    boss, elsewhere = office("boss"), office("elsewhere")

    page = boss.get(f"/review/audit?record={mine.id}")
    assert page.status_code == 200 and _entries(page.text) >= 1
    assert "somchai" in page.text and "โทรศัพท์ ก" in page.text
    assert _entries(elsewhere.get(f"/review/audit?record={mine.id}").text) == 0
    assert office("somchai").get("/review/audit").status_code == 403


def test_filters_by_user_device_action_and_buddhist_era_dates(client, area, office):
    phone = sign_in(client, "somchai", "โทรศัพท์ ก")
    mine = area.households[0]
    push_ok(client, phone, [op("household", mine.id, {"phone": "0812223333"}, base_seq=mine.seq)])
    boss = office("boss")
    today = dt.datetime.now(THAI_TIME).date()
    be_today = f"{today.day}/{today.month}/{today.year + 543}"
    be_tomorrow = (today + dt.timedelta(days=1))
    be_tomorrow = f"{be_tomorrow.day}/{be_tomorrow.month}/{be_tomorrow.year + 543}"

    assert _entries(boss.get(f"/review/audit?user=somchai&action=update&from={be_today}&to={be_today}").text) == 1
    assert _entries(boss.get("/review/audit?device=โทรศัพท์ ก&action=update").text) == 1
    assert _entries(boss.get(f"/review/audit?user=somchai&from={be_tomorrow}").text) == 0
    assert _entries(boss.get("/review/audit?user=malee&action=update").text) == 0
    odd = boss.get("/review/audit?action=explode&from=31/02/2569")
    assert odd.status_code == 200 and odd.text.count("data-problem") == 2


def test_the_log_exports_to_csv_with_the_same_filters(client, area, office):
    phone = sign_in(client, "somchai", "โทรศัพท์ ก")
    mine = area.households[0]
    push_ok(client, phone, [op("household", mine.id, {"phone": "0812223333"}, base_seq=mine.seq)])
    boss = office("boss")

    response = boss.get(f"/review/audit?record={mine.id}&action=update&format=csv")

    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-type"].lower().count("charset") == 1, response.headers["content-type"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["When", "User", "Phone", "Action", "Record", "Record id", "Details"]
    assert [(r[1], r[2], r[5]) for r in rows[1:]] == [("somchai", "โทรศัพท์ ก", mine.id)]
    exported = boss.get("/review/audit?action=export")
    assert _entries(exported.text) == 1  # the export itself is in the log
