""""Needs fix" as stories: the office sends a note, the officer's phone pulls it, fixes, and it comes back closed."""
from __future__ import annotations

import re

from sqlmodel import Session, select

from server.models.review import ReviewTask
from tests.review.conftest import post
from tests.sync.helpers import op, pull_all, push_ok, sign_in
from server.program.rules import thai_today


def _survey(client, area, phone, income=400_000):
    return push_ok(client, phone, [op("survey", fields={"household_id": area.households[0].id, "kind": "baseline",
                                                        "annual_income": income,
                                                        "surveyed_on": thai_today().isoformat()})])[0]


def _open_task(boss, entity, record_id, note):
    response = post(boss, f"/review/records/{entity}/{record_id}/tasks", {"note": note})
    assert response.status_code == 200, response.text
    return re.search(r'data-task-id="([0-9a-f-]{36})"', response.text).group(1)


def _task_from(changes, task_id):
    found = [c for c in changes if c["entity"] == "review_task" and c["id"] == task_id]
    assert len(found) == 1
    return found[0]


def test_a_survey_sent_back_is_fixed_on_the_phone_and_closed_in_the_office(client, area, office, engine):
    phone = sign_in(client, "somchai", "phone")
    survey = _survey(client, area, phone)
    _, cursor = pull_all(client, phone)
    boss = office("boss")

    task_id = _open_task(boss, "survey", survey["id"], "รายได้ 400,000 น่าจะเกินจริง ตรวจอีกครั้ง")

    changes, cursor = pull_all(client, phone, cursor)
    task = _task_from(changes, task_id)
    assert task["fields"] == {"record_entity": "survey", "record_id": survey["id"], "status": "open",
                              "note": "รายได้ 400,000 น่าจะเกินจริง ตรวจอีกครั้ง", "fixed_note": None}
    results = push_ok(client, phone, [
        op("survey", survey["id"], {"annual_income": 40_000}, base_seq=survey["seq"]),
        op("review_task", task_id, {"status": "fixed", "fixed_note": "พิมพ์เลขศูนย์เกิน แก้แล้ว"},
           base_seq=task["seq"])])
    assert [r["status"] for r in results] == ["applied", "applied"]

    waiting = boss.get("/review/tasks?status=fixed")
    assert f'data-task-id="{task_id}" data-task-status="fixed"' in waiting.text
    assert "พิมพ์เลขศูนย์เกิน แก้แล้ว" in waiting.text
    seq = re.search(rf'/review/tasks/{task_id}/close".*?name="seq" value="(\d+)"', waiting.text, re.S).group(1)
    closed = post(boss, f"/review/tasks/{task_id}/close", {"seq": seq})
    assert closed.status_code == 200 and f'data-task-id="{task_id}" data-task-status="closed"' in closed.text

    changes, _ = pull_all(client, phone, cursor)
    assert _task_from(changes, task_id)["fields"]["status"] == "closed"
    assert [c["fields"]["annual_income"] for c in changes if c["id"] == survey["id"]] == [40_000]


def test_a_supervisor_reopens_a_fix_that_is_not_right(client, area, office):
    phone = sign_in(client, "somchai", "phone")
    survey = _survey(client, area, phone)
    boss = office("boss")
    task_id = _open_task(boss, "survey", survey["id"], "ตรวจรายได้")
    changes, cursor = pull_all(client, phone)
    push_ok(client, phone, [op("review_task", task_id, {"status": "fixed", "fixed_note": "ถูกแล้ว"},
                               base_seq=_task_from(changes, task_id)["seq"])])
    page = boss.get("/review/tasks?status=fixed")
    seq = re.search(rf'/review/tasks/{task_id}/reopen".*?name="seq" value="(\d+)"', page.text, re.S).group(1)

    post(boss, f"/review/tasks/{task_id}/reopen", {"seq": seq, "note": "ยังไม่ถูก ให้ถามครัวเรือนอีกครั้ง"})

    changes, _ = pull_all(client, phone, cursor)
    fields = _task_from(changes, task_id)["fields"]
    assert (fields["status"], fields["note"]) == ("open", "ยังไม่ถูก ให้ถามครัวเรือนอีกครั้ง")


def test_a_phone_may_only_mark_a_task_fixed_with_a_note(client, area, office):
    phone = sign_in(client, "somchai", "phone")
    survey = _survey(client, area, phone)
    task_id = _open_task(office("boss"), "survey", survey["id"], "ตรวจรายได้")
    changes, _ = pull_all(client, phone)
    seq = _task_from(changes, task_id)["seq"]

    results = push_ok(client, phone, [
        op("review_task", fields={"record_entity": "survey", "record_id": survey["id"], "note": "ทำเอง"}),
        op("review_task", task_id, {"status": "closed"}, base_seq=seq),
        op("review_task", task_id, {"note": "แก้ข้อความหัวหน้า"}, base_seq=seq),
        op("review_task", task_id, {"status": "fixed"}, base_seq=seq),
        op("review_task", task_id, action="delete", base_seq=seq),
    ])

    assert [r["status"] for r in results] == ["rejected"] * 5
    assert [[(e["field"], e["code"]) for e in r["errors"]] for r in results] == [
        [("id", "forbidden")], [("status", "forbidden")], [("note", "forbidden")], [("fixed_note", "required")],
        [("id", "forbidden")]]


def test_a_task_on_a_deleted_record_is_closed_by_the_server(client, area, office, engine):
    phone = sign_in(client, "somchai", "phone")
    survey = _survey(client, area, phone)
    task_id = _open_task(office("boss"), "survey", survey["id"], "สำรวจซ้ำหรือไม่")
    _, cursor = pull_all(client, phone)

    push_ok(client, phone, [op("survey", survey["id"], action="delete", base_seq=survey["seq"])])

    changes, _ = pull_all(client, phone, cursor)
    assert _task_from(changes, task_id)["fields"]["status"] == "closed"
    with Session(engine) as db:
        assert db.exec(select(ReviewTask.status)).all() == ["closed"]


def test_tasks_stay_in_their_area(client, area, office, engine):
    phone = sign_in(client, "somchai", "phone")
    survey = _survey(client, area, phone)
    task_id = _open_task(office("boss"), "survey", survey["id"], "ตรวจรายได้")
    other_officer = sign_in(client, "malee", "phone of malee")
    elsewhere = office("elsewhere")

    changes, _ = pull_all(client, other_officer)
    assert [c for c in changes if c["entity"] == "review_task"] == []
    assert task_id not in elsewhere.get("/review/tasks?status=all").text
    assert post(elsewhere, f"/review/tasks/{task_id}/close", {"seq": 1}).status_code == 404
    assert post(elsewhere, f"/review/tasks/{task_id}/reopen", {"seq": 1}).status_code == 404
    assert post(elsewhere, f"/review/records/survey/{survey['id']}/tasks", {"note": "x"}).status_code == 404
    officer = office("somchai")
    assert task_id in officer.get("/review/tasks").text  # the officer sees the tasks of the own area
    assert post(officer, f"/review/tasks/{task_id}/close", {"seq": 1}).status_code == 403
    assert post(officer, f"/review/records/survey/{survey['id']}/tasks", {"note": "x"}).status_code == 403
    with Session(engine) as db:
        assert db.exec(select(ReviewTask.status)).all() == ["open"]


def test_a_task_needs_a_note_and_the_menu_counts_what_waits(client, area, office):
    phone = sign_in(client, "somchai", "phone")
    survey = _survey(client, area, phone)
    boss = office("boss")
    empty = post(boss, f"/review/records/survey/{survey['id']}/tasks", {"note": "  "})
    assert empty.status_code == 422 and 'id="t-note-error"' in empty.text

    _open_task(boss, "survey", survey["id"], "ตรวจรายได้")

    assert 'data-review-count="1"' in office("somchai").get("/review/nav-count").text
    assert 'data-review-count="0"' in boss.get("/review/nav-count").text
    assert office("somchai").get("/review/tasks?status=nonsense").text.count("data-problem") == 1
