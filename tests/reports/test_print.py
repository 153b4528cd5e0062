"""Printed reports: the attendance sheet to sign, the village report and the district summary."""
from __future__ import annotations

import re

import pytest

from tests.support.factories import freeze_thai_today
from sqlmodel import Session, select

from server.models import TrainingSession
from tests.foundation.helpers import sign_in


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    from tests.reports.conftest import TODAY

    freeze_thai_today(monkeypatch, TODAY)


def first_session(engine, training_id: str) -> str:
    with Session(engine) as db:
        return db.exec(select(TrainingSession.id).where(TrainingSession.training_id == training_id,
                                                        TrainingSession.day == 1)).one()


def test_the_attendance_sheet_lists_selected_households_with_day_and_signature_columns(client, program, engine):
    sign_in(client, "boss")
    sheet = client.get(f"/print/sessions/{first_session(engine, program.trainings['34140101'])}")
    assert sheet.status_code == 200
    html = sheet.text
    rows = re.findall(r'<tr data-household-id="([^"]+)"', html)
    assert set(rows) == {program.households[x] for x in "ABCDE"}  # F withdrew
    assert html.count('class="day"') >= 5 * 6 and 'class="signature"' in html
    assert "1 พ.ย. 2569" in html and "print.css" in html
    thai = client.get(f"/print/sessions/{first_session(engine, program.trainings['34140101'])}?digits=thai")
    assert "๑ พ.ย. ๒๕๖๙" in thai.text and "1 พ.ย. 2569" not in thai.text


def test_a_sheet_outside_the_area_is_not_found(client, program, engine):
    sign_in(client, "boss")
    assert client.get(f"/print/sessions/{first_session(engine, program.trainings['34150101'])}").status_code == 404


def test_the_village_report_and_the_district_summary(client, program):
    sign_in(client, "boss")
    village = client.get("/print/villages/34140101?year=2570")
    assert village.status_code == 200
    assert 'data-print="village"' in village.text and "100.0%" in village.text  # A B C practise of A B C
    district = client.get("/print/districts/3414?year=2570")
    assert district.status_code == 200
    assert 'data-unit="341401"' in district.text and 'data-unit="341402"' in district.text
    assert "80.0%" in district.text  # practising share of the district
    assert client.get("/print/districts/3415?year=2570").status_code == 404
    assert client.get("/print/villages/34150101?year=2570").status_code == 404
