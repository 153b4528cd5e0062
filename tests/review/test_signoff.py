"""Signing off a training round: its records locked for phones and office pages, reopened, both audited."""
from __future__ import annotations

import re

from sqlmodel import Session, select

from server.models import AuditEntry, Enrollment, Survey
from server.synced.write import Refused, save_synced
from server.program.rules import thai_today
from tests.review.conftest import post
from tests.sync.helpers import op, push_ok, sign_in


def _round_with_a_household(client, area):
    """somchai's phone enrolls household 0 in the area's training, marks day 1 and records its baseline."""
    phone = sign_in(client, "somchai", "phone")
    home = area.households[0]
    results = push_ok(client, phone, [
        op("enrollment", fields={"training_id": area.training.id, "household_id": home.id}),
        op("attendance", fields={"session_id": area.sessions[0].id, "household_id": home.id, "present": True}),
        op("survey", fields={"household_id": home.id, "kind": "baseline", "surveyed_on": thai_today().isoformat(),
                             "annual_income": 30_000}),
    ])
    assert [r["status"] for r in results] == ["applied"] * 3
    return phone, results


def _errors(result):
    return {(e["field"], e["code"]) for e in result.get("errors", [])}


def test_a_signed_off_round_is_locked_everywhere_until_a_supervisor_reopens_it(client, area, office, engine):
    phone, (enrollment, attendance, baseline) = _round_with_a_household(client, area)
    boss = office("boss")
    training = area.training.id

    page = boss.get(f"/trainings/{training}/signoff")
    assert page.status_code == 200 and 'data-signoff-status="open"' in page.text
    assert 'data-open="missing_attendance"' in page.text  # days 2-5 of household 0 are not marked
    refused = post(boss, f"/trainings/{training}/signoff", {"reason": ""})
    assert refused.status_code == 422 and "write why" in refused.text
    signed = post(boss, f"/trainings/{training}/signoff", {"reason": "Days 2-5 were taken on paper"})
    assert signed.status_code == 200 and 'data-signoff-status="signed_off"' in signed.text

    results = push_ok(client, phone, [
        op("attendance", attendance["id"], {"present": False}, base_seq=attendance["seq"]),
        op("attendance", fields={"session_id": area.sessions[1].id, "household_id": area.households[0].id,
                                 "present": True}),
        op("survey", baseline["id"], {"annual_income": 31_000}, base_seq=baseline["seq"]),
        op("enrollment", enrollment["id"], {"status": "withdrawn"}, base_seq=enrollment["seq"]),
        op("attendance", attendance["id"], action="delete", base_seq=attendance["seq"]),
        # A follow-up due after the sign-off is not part of the round.
        op("survey", fields={"household_id": area.households[0].id, "kind": "follow_up_12m",
                             "surveyed_on": thai_today().isoformat(), "annual_income": 45_000}),
    ])
    assert [r["status"] for r in results] == ["rejected"] * 5 + ["applied"]
    assert [_errors(r) for r in results[:5]] == [{("session_id", "locked")}, {("session_id", "locked")},
                                                 {("kind", "locked")}, {("training_id", "locked")},
                                                 {("session_id", "locked")}]
    message = results[0]["errors"][0]
    assert "signed off" in message["message_en"] and re.search(r"[\u0e01-\u0e4f]", message["message_th"])

    training_page = boss.get(f"/trainings/{training}")
    assert 'data-read-only="signed-off"' in training_page.text and f"/trainings/{training}/select\"" not in training_page.text
    selection = boss.get(f"/trainings/{training}/select")
    assert "<fieldset class=\"plain\" disabled>" in selection.text
    seq = re.search(r'name="seq" value="(\d+)"', selection.text).group(1)
    office_write = post(boss, f"/trainings/{training}/select", {"seq": seq})  # withdraw everyone
    assert office_write.status_code == 422
    with Session(engine) as db:
        assert db.get(Enrollment, enrollment["id"]).status == "selected"
        survey = db.get(Survey, baseline["id"])
        try:
            save_synced(db, survey, entity="survey", values={"annual_income": 1}, user=None)
        except Refused as locked:
            assert [(e.field, e.code) for e in locked.errors] == [("kind", "locked")]
        else:
            raise AssertionError("an office write to a locked survey was saved")

    assert post(boss, f"/trainings/{training}/reopen", {"reopen_reason": ""}).status_code == 422
    reopened = post(boss, f"/trainings/{training}/reopen", {"reopen_reason": "The household asked to correct income"})
    assert reopened.status_code == 200 and 'data-signoff-status="open"' in reopened.text
    again = push_ok(client, phone, [op("survey", baseline["id"], {"annual_income": 31_000}, base_seq=baseline["seq"])])
    assert again[0]["status"] == "applied"
    assert 'data-read-only="signed-off"' not in boss.get(f"/trainings/{training}").text

    with Session(engine) as db:
        entries = db.exec(select(AuditEntry.action, AuditEntry.detail).where(AuditEntry.record_id == training,
                                                                             AuditEntry.entity == "training")
                          .order_by(AuditEntry.id)).all()
    actions = [(action, detail.get("reason")) for action, detail in entries if action in ("sign_off", "reopen_round")]
    assert actions == [("sign_off", "Days 2-5 were taken on paper"),
                       ("reopen_round", "The household asked to correct income")]


def test_only_a_supervisor_signs_off_and_only_in_their_district(client, area, office):
    _round_with_a_household(client, area)
    training = area.training.id
    officer = office("somchai")
    assert post(officer, f"/trainings/{training}/signoff", {"reason": "x"}).status_code == 403
    elsewhere = office("elsewhere")
    assert post(elsewhere, f"/trainings/{training}/signoff", {"reason": "x"}).status_code == 404
    boss = office("boss")
    post(boss, f"/trainings/{training}/signoff", {"reason": "checked"})
    assert post(boss, f"/trainings/{training}/signoff", {"reason": "twice"}).status_code == 409
    listed = boss.get(f"/signoff?fy={area.training.fiscal_year}&status=signed_off")
    assert f'data-round="{training}" data-signed-off="yes"' in listed.text


def test_progress_and_the_district_summary_say_which_rounds_are_signed_off_and_by_whom(client, area, office, engine):
    _round_with_a_household(client, area)
    boss = office("boss")
    year = area.training.fiscal_year
    assert 'data-signed-off-rounds="0"' in boss.get(f"/progress?year={year}").text
    post(boss, f"/trainings/{area.training.id}/signoff", {"reason": "checked on paper"})

    progress = boss.get(f"/progress?year={year}").text
    assert 'data-signed-off-rounds="1"' in progress and "signed off: 1 of 1" in progress
    village = boss.get(f"/progress/villages/{area.villages[0].code}?year={year}").text
    assert f'data-signed-off="{area.training.id}"' in village
    summary = boss.get(f"/print/districts/3414?year={year}")
    assert summary.status_code == 200
    row = re.search(rf'<tr data-signed-off="{area.training.id}">(.*?)</tr>', summary.text, re.S).group(1)
    with Session(engine) as db:
        from server.models import User
        boss_name = db.exec(select(User.display_name).where(User.username == "boss")).one()
    assert area.villages[0].name in row and boss_name in row
