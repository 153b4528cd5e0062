"""Helpers for sync tests: an area with a training, phones that sign in, ops and pushes."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from server.core.dates import fiscal_year_be, thai_today
from server.models import Training, TrainingSession
from sync.changes import stamp_change
from tests.support.factories import (
    DEFAULT_PASSWORD,
    make_geography,
    make_household,
    make_user,
)

SESSION_FIELDS = ("training_id", "day", "kind", "date", "destination", "note")


def new_id() -> str:
    return str(uuid.uuid4())


def make_training(session: Session, *, village_id: str, occupation: str = "weaving", fiscal_year: int | None = None,
                  start: dt.date | None = None) -> tuple[Training, list[TrainingSession]]:
    """A 5-day training in a village with its sessions, stamped into the change feed: by default on the
    5 days ending yesterday (Thai time), so attendance may be taken on each, in its first day's fiscal year."""
    start = start or thai_today() - dt.timedelta(days=5)
    fiscal_year = fiscal_year or fiscal_year_be(start)
    training = Training(village_id=village_id, occupation=occupation, fiscal_year=fiscal_year)
    session.add(training)
    session.flush()
    stamp_change(session, training, entity="training", fields=("village_id", "occupation", "fiscal_year"),
                 village_id=village_id, user_id=None)
    days = []
    for day in range(1, 6):
        kind = "knowledge" if day <= 3 else ("study_visit" if day == 4 else "home_practice")
        day_session = TrainingSession(training_id=training.id, day=day, kind=kind,
                                      date=start + dt.timedelta(days=day - 1))
        session.add(day_session)
        session.flush()
        stamp_change(session, day_session, entity="session", fields=SESSION_FIELDS,
                     village_id=village_id, user_id=None)
        days.append(day_session)
    session.commit()
    return training, days


@dataclass
class Area:
    """Two subdistricts: officer `somchai` works in the first, officer `malee` in the second."""

    villages: list[Any]
    training: Any
    sessions: list[Any]
    households: list[Any]
    other_village: Any
    other_household: Any
    users: dict[str, Any] = field(default_factory=dict)


def make_area(session: Session, *, households: int = 3) -> Area:
    geo = make_geography(session)
    villages = geo["villages"]
    users = {
        "somchai": make_user(session, username="somchai", role="officer", subdistrict_codes=["341401"]),
        "malee": make_user(session, username="malee", role="officer", subdistrict_codes=["341402"]),
        "boss": make_user(session, username="boss", role="supervisor", district_code="3414"),
        "root": make_user(session, username="root", role="admin"),
    }
    training, sessions = make_training(session, village_id=villages[0].id)
    homes = [make_household(session, village_id=villages[0].id) for _ in range(households)]
    other = make_household(session, village_id=villages[2].id)
    return Area(villages=villages, training=training, sessions=sessions, households=homes,
                other_village=villages[2], other_household=other, users=users)


def sign_in(client, username: str, device_name: str = "phone", password: str = DEFAULT_PASSWORD) -> dict[str, str]:
    """Authorization headers for a new device of `username`."""
    response = client.post("/api/auth/token", json={"username": username, "password": password,
                                                    "device_name": device_name})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def op(entity: str, record_id: str | None = None, fields: dict[str, Any] | None = None, *,
       base_seq: int | None = None, action: str = "upsert", op_id: str | None = None,
       captured_at: str | None = None) -> dict[str, Any]:
    return {"op_id": op_id or new_id(), "entity": entity, "id": record_id or new_id(), "action": action,
            "base_seq": base_seq, "captured_at": captured_at or dt.datetime.now(dt.timezone.utc).isoformat(),
            "fields": fields or {}}


def push(client, headers: dict[str, str], ops: list[dict[str, Any]], *, schema: int = 1):
    return client.post("/api/sync/push", json={"schema": schema, "ops": ops}, headers=headers)


def push_ok(client, headers: dict[str, str], ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = push(client, headers, ops)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def pull_all(client, headers: dict[str, str], cursor: str | None = None, limit: int = 500) -> tuple[list[dict], str]:
    changes: list[dict] = []
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/sync/pull", params=params, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return changes, cursor


def count(session: Session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def cursor_seq(cursor: str) -> int:
    """The seq a pull cursor stands at, read from its content (the seal is the server's business)."""
    import base64
    import json

    payload = cursor.rpartition(".")[0]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["s"]
