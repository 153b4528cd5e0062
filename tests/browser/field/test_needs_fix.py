"""A supervisor's "needs fix" on the phone: listed on /field, fixed and answered offline, arriving once."""
import datetime as dt

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, func, select

from server.core.db import make_engine
from server.models import AuditEntry, Survey, SyncOp
from server.models.review import ReviewTask
from server.review.tasks import open_task
from sync.changes import stamp_change
from tests.browser.field.conftest import ready_to_work, status, wait_pending
from tests.support.factories import make_user

pytestmark = pytest.mark.browser


def _survey_sent_back(db_url: str, household_id: str, village_id: str) -> tuple[str, str]:
    engine = make_engine(db_url)
    with Session(engine, expire_on_commit=False) as db:
        survey = Survey(household_id=household_id, kind="baseline", annual_income=400_000,
                        surveyed_on=dt.date(2026, 11, 20))
        db.add(survey)
        db.flush()
        stamp_change(db, survey, entity="survey", fields=("household_id", "kind", "annual_income", "surveyed_on"),
                     village_id=village_id, user_id=None)
        db.commit()
        boss = make_user(db, username="boss", role="supervisor", district_code="3414")
        task = open_task(db, boss, entity="survey", record_id=survey.id, note="รายได้ 400,000 เกินจริง ตรวจอีกครั้ง")
        db.commit()
    engine.dispose()
    return survey.id, task.id


def test_the_officer_sees_the_task_on_field_fixes_it_offline_and_the_fix_arrives_once(field_world, server,
                                                                                       phone_factory):
    village = field_world.villages["34140101"]
    household_id = village.household_ids[0]
    survey_id, task_id = _survey_sent_back(field_world.db_url, household_id, village.id)
    phone = phone_factory("north")
    page = phone.page
    ready_to_work(page, "north", [village.id])

    page.goto("/field")
    task = page.locator(f'[data-to-fix-task="{task_id}"]')
    expect(task).to_contain_text("รายได้ 400,000 เกินจริง ตรวจอีกครั้ง")

    server.stop()  # no signal from here on
    task.locator("a").click()
    page.goto(f"/field/households/{household_id}/surveys/baseline")
    page.fill('input[name="annual_income"]', "40000")
    page.click('button[type="submit"]')
    expect(page.locator("[data-saved]")).to_be_visible()
    page.goto(f"/field/households/{household_id}")
    answer = page.locator(f'[data-review-task="{task_id}"]')
    answer.locator('textarea[name="fixed_note"]').fill("พิมพ์ศูนย์เกินหนึ่งตัว")
    answer.locator('[data-action="mark-fixed"]').click()
    expect(answer.locator("[data-saved]")).to_be_visible()
    wait_pending(page, 2)

    server.start()
    wait_pending(page, 0, timeout=60_000)
    assert status(page)["lastSync"]
    page.goto("/field")
    expect(page.locator("[data-to-fix-task]")).to_have_count(0)

    engine = make_engine(field_world.db_url)
    with Session(engine) as db:
        assert db.get(Survey, survey_id).annual_income == 40_000
        fixed = db.get(ReviewTask, task_id)
        assert (fixed.status, fixed.fixed_note) == ("fixed", "พิมพ์ศูนย์เกินหนึ่งตัว")
        # Once: one op and one change of each record from the phone, however often it retried.
        assert db.exec(select(func.count()).select_from(SyncOp).where(SyncOp.device_id.is_not(None))).one() == 2
        for record_id in (survey_id, task_id):
            assert db.exec(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.record_id == record_id, AuditEntry.device_id.is_not(None))).one() == 1
    engine.dispose()
