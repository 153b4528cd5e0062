"""Funding of groups and trainings: requests kept on the group's and the training's pages, summed by
source on the progress page and the district summary, and exported; the sums are computed by hand."""
from __future__ import annotations

import csv
import io
import re

from sqlmodel import Session, select

from server.core.dates import to_input
from server.models import FundingRequest, OccupationGroup
from server.reports.village_progress import current_fiscal_year
from server.program.rules import thai_today
from sync.changes import stamp_change
from tests.foundation.helpers import post_form, sign_in
from tests.support.factories import make_training

TODAY = to_input(thai_today())


def _group(db: Session, village_id: str, name: str) -> OccupationGroup:
    group = OccupationGroup(village_id=village_id, name=name, category="agriculture")
    stamp_change(db, group, entity="group", fields=("village_id", "name", "category"), village_id=village_id,
                 user_id=None)
    return group


def _request(client, url: str, **fields) -> None:
    data = {"asked_on": TODAY, "status": "drafted", **{k: str(v) for k, v in fields.items()}}
    response = post_form(client, url, data, follow_redirects=False)
    assert response.status_code in (302, 303), response.text


def _money(line: str) -> list[str]:
    return re.findall(r"<td>([^<]*)</td>", line)


def _summary(page: str) -> dict[str, list[str]]:
    section = page.split("data-funding-summary")[1].split("</section>")[0]
    return {m.group(1): _money(m.group(2)) for m in re.finditer(r'data-funding-source="([^"]*)">(.*?)</tr>', section, re.S)}


def test_requests_are_kept_per_group_and_training_and_summed_by_hand(north, world, engine, client):
    with Session(engine, expire_on_commit=False) as db:
        group = _group(db, world.villages["34140101"], "กลุ่มเลี้ยงไก่")
        south_group = _group(db, world.villages["34140201"], "กลุ่มทอผ้าใต้")
        training = make_training(db, village_id=world.villages["34140102"], occupation="livestock",
                                 fiscal_year=current_fiscal_year(), commit=False)["training"]
        db.commit()
    group_url, training_url = f"/groups/{group.id}/funding", f"/trainings/{training.id}/funding"
    _request(north, group_url, source="cdd", amount_asked="50,000", status="received", amount_received=45000,
             received_on=TODAY, proposal_file="C:\\docs\\proposal-2570.pdf", note="ซื้อพันธุ์ไก่")
    _request(north, group_url, source="local_government", amount_asked=20000, status="submitted")
    _request(north, group_url, source="bank", amount_asked=30000, status="refused", decided_on=TODAY)
    _request(north, training_url, source="village_fund", amount_asked=10000, status="approved")
    _request(north, training_url, source="partner", amount_asked=5000)

    # An amount received on a request not received, and a source not configured, are refused.
    wrong = post_form(north, group_url, {"source": "cdd", "amount_asked": "1000", "status": "submitted",
                                         "amount_received": "500"})
    assert wrong.status_code == 422 and "ได้รับเงินแล้ว" in wrong.text
    assert post_form(north, group_url, {"source": "lottery", "amount_asked": "1000"}).status_code == 422

    page = north.get(f"/groups/{group.id}").text
    assert "proposal-2570.pdf" in page and "C:" not in page.split("data-funding-requests")[1].split("</table>")[0]
    total = page.split("data-funding-total")[1].split("</tr>")[0]
    assert "100,000" in total and "45,000" in total and "20,000" in total  # asked, received, waiting
    with Session(engine) as db:
        assert db.exec(select(FundingRequest).where(FundingRequest.group_id == group.id)).all().__len__() == 3

    # North's area: the group's three requests and the training's two.
    # asked 50,000 + 20,000 + 30,000 + 10,000 + 5,000 = 115,000; received 45,000;
    # waiting (submitted 20,000 + approved 10,000) = 30,000; refused 30,000.
    progress = _summary(north.get(f"/progress?year={current_fiscal_year()}").text)
    assert progress[""] == ["5", "115,000", "45,000", "30,000", "30,000"]
    assert progress["cdd"] == ["1", "50,000", "45,000", "0", "0"]
    assert progress["bank"] == ["1", "30,000", "0", "0", "30,000"]

    rows = list(csv.reader(io.StringIO(north.get(f"/reports/export/funding.csv?year={current_fiscal_year()}")
                                       .content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 5
    assert sum(int(r[8]) for r in rows[1:]) == 115_000 and sum(int(r[11]) for r in rows[1:]) == 45_000
    assert {r[4] for r in rows[1:]} >= {"กลุ่มเลี้ยงไก่"}

    # The district summary of an administrator adds the south's request: 115,000 + 99,000 asked.
    with Session(engine) as db:
        db.add(FundingRequest(group_id=south_group.id, source="cdd", amount_asked=99_000, status="received",
                              amount_received=99_000, asked_on=thai_today()))
        db.commit()
    client.cookies.clear()
    sign_in(client, "root")
    district = _summary(client.get(f"/print/districts/3414?year={current_fiscal_year()}").text)
    assert district[""] == ["6", "214,000", "144,000", "30,000", "30,000"]
    assert district["cdd"] == ["2", "149,000", "144,000", "0", "0"]
