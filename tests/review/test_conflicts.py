"""The conflict queue as stories over the HTTP API: phones disagree, a supervisor settles, phones converge."""
from __future__ import annotations

from sqlmodel import Session, select

from server.models import AuditEntry, Conflict
from tests.review.conftest import as_of, post
from tests.sync.helpers import op, pull_all, push_ok, sign_in
from server.program.rules import thai_today


def _attendance_dispute(client, area):
    """Two phones of officer somchai mark the same household on day 1 differently; B's value loses."""
    phone_a, phone_b = sign_in(client, "somchai", "phone A"), sign_in(client, "somchai", "phone B")
    household, day1 = area.households[0], area.sessions[0]
    _, cursor_a = pull_all(client, phone_a)
    _, cursor_b = pull_all(client, phone_b)
    first = push_ok(client, phone_a, [op("attendance", fields={"session_id": day1.id, "household_id": household.id,
                                                               "present": True})])[0]
    second = push_ok(client, phone_b, [op("attendance", fields={"session_id": day1.id, "household_id": household.id,
                                                                "present": False})])[0]
    assert first["status"] == "applied" and second["status"] == "conflict"
    return {"a": (phone_a, cursor_a), "b": (phone_b, cursor_b), "record_id": first["id"],
            "conflict_id": second["conflicts"][0]["conflict_id"]}


def _attendance_seen(client, headers, cursor, record_id):
    changes, _ = pull_all(client, headers, cursor)
    return [c["fields"]["present"] for c in changes if c["entity"] == "attendance" and c["id"] == record_id]


def test_two_phones_disagree_the_supervisor_takes_the_other_value_and_both_phones_pull_it(client, area, office):
    dispute = _attendance_dispute(client, area)
    boss = office("boss")

    page = boss.get("/review/conflicts")
    assert page.status_code == 200
    assert f'data-conflict-id="{dispute["conflict_id"]}"' in page.text
    assert "phone B" in page.text and "phone A" in page.text  # who captured each side
    response = post(boss, f"/review/conflicts/{dispute['conflict_id']}/resolve",
                    {"choice": "other", "as_of": as_of(page.text)})
    assert response.status_code == 200 and "The conflict is resolved" in response.text

    for phone, cursor in (dispute["a"], dispute["b"]):
        assert _attendance_seen(client, phone, cursor, dispute["record_id"]) == [False]
    resolved = boss.get("/review/conflicts?status=resolved")
    assert f'data-conflict-id="{dispute["conflict_id"]}"' in resolved.text
    assert "Resolved by" in resolved.text


def test_a_corrected_value_is_checked_by_the_rules_and_nothing_changes_when_refused(client, area, office, engine):
    phone_a, phone_b = sign_in(client, "somchai", "phone A"), sign_in(client, "somchai", "phone B")
    household = area.households[0]
    base = push_ok(client, phone_a, [op("survey", fields={"household_id": household.id, "kind": "baseline",
                                                          "annual_income": 40_000,
                                                          "surveyed_on": thai_today().isoformat()})])[0]
    push_ok(client, phone_a, [op("survey", base["id"], {"annual_income": 41_000}, base_seq=base["seq"])])
    lost = push_ok(client, phone_b, [op("survey", base["id"], {"annual_income": 14_000}, base_seq=base["seq"])])[0]
    conflict_id = lost["conflicts"][0]["conflict_id"]
    boss = office("boss")
    page = boss.get("/review/conflicts")

    refused = post(boss, f"/review/conflicts/{conflict_id}/resolve",
                   {"choice": "custom", "value": "-5", "as_of": as_of(page.text)})
    assert refused.status_code == 422
    with Session(engine) as db:
        assert db.get(Conflict, conflict_id).status == "open"

    done = post(boss, f"/review/conflicts/{conflict_id}/resolve",
                {"choice": "custom", "value": "41,500", "as_of": as_of(page.text)})
    assert done.status_code == 200
    changes, _ = pull_all(client, phone_b)
    assert [c["fields"]["annual_income"] for c in changes if c["id"] == base["id"]] == [41_500]
    with Session(engine) as db:
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "resolve_conflict")).one()
        assert entry.detail["value"] == 41_500 and entry.detail["resolution"] == "custom"


def test_resolving_an_already_resolved_conflict_says_by_whom_and_changes_nothing(client, area, office, engine):
    dispute = _attendance_dispute(client, area)
    boss, root = office("boss"), office("root")
    page_boss, page_root = boss.get("/review/conflicts"), root.get("/review/conflicts")
    assert post(boss, f"/review/conflicts/{dispute['conflict_id']}/resolve",
                {"choice": "kept", "as_of": as_of(page_boss.text)}).status_code == 200

    late = post(root, f"/review/conflicts/{dispute['conflict_id']}/resolve",
                {"choice": "other", "as_of": as_of(page_root.text)})

    assert late.status_code == 409
    assert "Already resolved by ผู้ทดสอบ boss" in late.text
    phone_a, cursor_a = dispute["a"]
    assert _attendance_seen(client, phone_a, cursor_a, dispute["record_id"]) == [True]
    with Session(engine) as db:
        conflict = db.get(Conflict, dispute["conflict_id"])
        assert conflict.resolution == "kept"


def test_a_resolution_racing_a_newer_push_loses_no_value(client, area, office, engine):
    phone_a, phone_b = sign_in(client, "somchai", "phone A"), sign_in(client, "somchai", "phone B")
    base = push_ok(client, phone_a, [op("survey", fields={"household_id": area.households[0].id, "kind": "baseline",
                                                          "annual_income": 40_000,
                                                          "surveyed_on": thai_today().isoformat()})])[0]
    second = push_ok(client, phone_a, [op("survey", base["id"], {"annual_income": 41_000}, base_seq=base["seq"])])[0]
    lost = push_ok(client, phone_b, [op("survey", base["id"], {"annual_income": 14_000}, base_seq=base["seq"])])[0]
    boss = office("boss")
    page = boss.get("/review/conflicts")
    # After the page was drawn, phone A changes the same field again.
    push_ok(client, phone_a, [op("survey", base["id"], {"annual_income": 42_000}, base_seq=second["seq"])])

    response = post(boss, f"/review/conflicts/{lost['conflicts'][0]['conflict_id']}/resolve",
                    {"choice": "other", "as_of": as_of(page.text)})

    assert response.status_code == 200 and "your choice and the newer value are in the queue again" in response.text
    with Session(engine) as db:
        again = db.exec(select(Conflict).where(Conflict.status == "open")).one()
        assert (again.field, again.kept, again.other, again.other_user_id) == (
            "annual_income", 42_000, 14_000, area.users["boss"].id)


def test_settling_every_conflict_of_one_phone_after_a_preview(client, area, office, engine):
    phone_a, phone_b = sign_in(client, "somchai", "phone A"), sign_in(client, "somchai", "phone B")
    marks = [(h, day) for h in area.households[:2] for day in area.sessions[:2]]
    push_ok(client, phone_a, [op("attendance", fields={"session_id": d.id, "household_id": h.id, "present": True})
                              for h, d in marks])
    lost = push_ok(client, phone_b, [op("attendance", fields={"session_id": d.id, "household_id": h.id,
                                                              "present": False}) for h, d in marks])
    assert [r["status"] for r in lost] == ["conflict"] * 4
    with Session(engine) as db:
        phone_b_id = db.exec(select(Conflict.other_device_id)).first()
    boss = office("boss")

    preview = boss.get(f"/review/conflicts/bulk?device={phone_b_id}&choice=other")
    assert preview.status_code == 200
    assert preview.text.count("data-preview=") == 4
    ids = [r["conflicts"][0]["conflict_id"] for r in lost]
    settled = post(boss, "/review/conflicts/bulk", {"choice": "other", "as_of": as_of(preview.text),
                                                    "conflict": ids})

    assert settled.status_code == 200 and "4 conflicts settled" in settled.text
    changes, _ = pull_all(client, phone_a)
    assert sorted(c["fields"]["present"] for c in changes if c["entity"] == "attendance") == [False] * 4
    with Session(engine) as db:
        assert db.exec(select(Conflict).where(Conflict.status == "open")).all() == []


def test_a_supervisor_of_another_district_can_neither_see_nor_settle(client, area, office, engine):
    dispute = _attendance_dispute(client, area)
    elsewhere = office("elsewhere")

    page = elsewhere.get("/review/conflicts")
    assert page.status_code == 200 and dispute["conflict_id"] not in page.text
    response = post(elsewhere, f"/review/conflicts/{dispute['conflict_id']}/resolve",
                    {"choice": "other", "as_of": as_of(page.text) if "as_of" in page.text else 999})
    assert response.status_code == 404
    assert post(elsewhere, "/review/conflicts/bulk", {"choice": "other", "as_of": 999,
                                                      "conflict": [dispute["conflict_id"]]}).status_code == 404
    assert elsewhere.get(f"/review/records/attendance/{dispute['record_id']}").status_code == 404
    with Session(engine) as db:
        assert db.get(Conflict, dispute["conflict_id"]).status == "open"


def test_officers_may_not_open_the_queue_and_bad_input_gets_a_message(client, area, office):
    officer = office("somchai")
    assert officer.get("/review/conflicts").status_code == 403
    assert post(officer, "/review/conflicts/00000000-0000-0000-0000-000000000000/resolve",
                {"choice": "kept", "as_of": 1}).status_code == 403

    boss = office("boss")
    odd = boss.get("/review/conflicts?status=maybe&device=nope&entity=cat")
    assert odd.status_code == 200 and odd.text.count("data-problem") == 3
    assert post(boss, "/review/conflicts/not-an-id/resolve", {"choice": "kept", "as_of": 1}).status_code == 404
    assert post(boss, "/review/conflicts/00000000-0000-0000-0000-000000000000/resolve",
                {"choice": "kept", "as_of": "x"}).status_code == 400
    assert boss.get("/review/records/cat/00000000-0000-0000-0000-000000000000").status_code == 404
    assert boss.get("/review/conflicts/bulk?choice=sideways").status_code == 200
