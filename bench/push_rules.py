"""What the rules that read other records cost a push: with and without them, in one run.

A 1,000-op batch of new households, each with its own citizen ID (each is looked up in the register),
and a batch enrolling a village's households into a training (each enrollment is judged within the
training's selection: village, target, reason), pushed over HTTP with the household and enrollment
specs' `check` on, then off. Printed as ops/s and as the ratio off/on.

    python bench/push_rules.py
"""
from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar.testing import TestClient  # noqa: E402
from sqlmodel import Session  # noqa: E402

from server.app import create_app  # noqa: E402
from server.core.db import make_engine  # noqa: E402
from server.core.migrate import upgrade  # noqa: E402
from server.models import AppSetting  # noqa: E402
from server.core.settings import Settings  # noqa: E402
from server.synced.specs import REGISTRY  # noqa: E402
from tests.support.factories import make_geography, make_training, make_user, valid_citizen_id  # noqa: E402

ROUNDS = 5
HOUSEHOLDS = 1000
VILLAGE_SIZES = (25, 200)  # households in the village of the training; each is enrolled


def _op(entity: str, fields: dict) -> dict:
    return {"op_id": str(uuid.uuid4()), "entity": entity, "id": str(uuid.uuid4()), "action": "upsert",
            "base_seq": None, "captured_at": dt.datetime.now(dt.timezone.utc).isoformat(), "fields": fields}


def _push(client, headers, ops) -> float:
    body = json.dumps({"schema": 1, "ops": ops}).encode()
    start = time.perf_counter()
    response = client.post("/api/sync/push", content=body, headers={**headers, "Content-Type": "application/json"})
    took = time.perf_counter() - start
    assert response.status_code == 200, response.text
    statuses = {r["status"] for r in response.json()["results"]}
    assert statuses == {"applied"}, response.json()["results"][:3]
    return took


def run(tmp: str, *, checks: bool) -> dict[str, float]:
    url = f"sqlite:///{tmp}/rules-{'on' if checks else 'off'}.db"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        geo = make_geography(s)
        make_user(s, username="bench", role="officer", subdistrict_codes=["341401", "341402"])
        s.merge(AppSetting(key="households_per_village", value=str(max(VILLAGE_SIZES))))
        s.commit()
        villages = [v.id for v in geo["villages"]]
    saved = {name: REGISTRY.entities[name].check for name in ("household", "enrollment")}
    if not checks:
        for name in saved:
            REGISTRY.entities[name].check = None
    figures: dict[str, float] = {}
    try:
        app = create_app(Settings(database_url=url, development=True), engine)
        with TestClient(app) as client:
            token = client.post("/api/auth/token", json={"username": "bench", "password": "pw-test-1234",
                                                         "device_name": "bench"}).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            times = []
            for round_ in range(ROUNDS):
                ops = [_op("household", {"village_id": villages[1], "house_no": f"{round_}/{n}", "head_name": f"h{n}",
                                         "members": 1 + n % 6, "annual_income": 20_000 + 37 * n,
                                         "citizen_id": valid_citizen_id(round_ * HOUSEHOLDS + n)})
                       for n in range(HOUSEHOLDS)]
                times.append(_push(client, headers, ops))
            figures["households"] = HOUSEHOLDS / statistics.median(times)
            for size, village in zip(VILLAGE_SIZES, (villages[0], villages[2])):
                times = []
                for round_ in range(ROUNDS):
                    homes = [_op("household", {"village_id": village, "house_no": f"e{round_}/{n}", "head_name": f"e{n}",
                                               "members": 1 + n % 6, "annual_income": 10_000 + 91 * n})
                             for n in range(size)]
                    _push(client, headers, homes)
                    with Session(engine, expire_on_commit=False) as s:
                        training = make_training(s, village_id=village, occupation=f"trade{round_}")["training"]
                    # Poorest first, each with a reason: every enrollment is judged, none refused.
                    ops = [_op("enrollment", {"training_id": training.id, "household_id": op["id"],
                                              "status": "selected", "reason": "ทดสอบ"}) for op in homes]
                    times.append(_push(client, headers, ops))
                figures[f"enrollments of a village of {size}"] = size / statistics.median(times)
    finally:
        for name, check in saved.items():
            REGISTRY.entities[name].check = check
        engine.dispose()
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        on = run(tmp, checks=True)
        off = run(tmp, checks=False)
    for name in on:
        print(f"{name:34} checks on {on[name]:8,.0f} ops/s   off {off[name]:8,.0f} ops/s   "
              f"off/on = {off[name] / on[name]:.2f}x")


if __name__ == "__main__":
    main()
