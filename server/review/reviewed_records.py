"""The records supervisors review (households, surveys, attendance, sages, enrollments): where each
lies, whether the user may see it, and a short label for lists."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from server.auth.access import NotFoundInArea
from server.auth.areas import area_village_ids
from server.core.i18n import gettext_
from server.models import (
    Attendance,
    Enrollment,
    Household,
    Sage,
    Survey,
    Training,
    TrainingSession,
    User,
    Village,
)
from server.models.review import REVIEW_ENTITIES
from server.synced.specs import REGISTRY

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MODELS = {"household": Household, "survey": Survey, "attendance": Attendance, "sage": Sage,
          "enrollment": Enrollment}


def is_record_id(value: Any) -> bool:
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def entity_label(entity: str) -> str:
    return {"household": gettext_("Household"), "survey": gettext_("Survey"),
            "attendance": gettext_("Attendance"), "sage": gettext_("Sage"),
            "enrollment": gettext_("Enrollment")}.get(entity, entity)


def survey_kind_label(kind: str | None) -> str:
    return {"baseline": gettext_("baseline"), "after_training": gettext_("after training"),
            "follow_up_3m": gettext_("follow-up at 3 months"), "follow_up_6m": gettext_("follow-up at 6 months"),
            "follow_up_12m": gettext_("follow-up at 12 months")}.get(kind or "", kind or "")


def village_of_record(db: Session, entity: str, record_id: str) -> tuple[str | None, bool] | None:
    """(village id, deleted) of a reviewable record, or None when there is no such record."""
    if entity not in REVIEW_ENTITIES or not is_record_id(record_id):
        return None
    row = db.execute(REGISTRY.entities[entity].scope_select, {"ids": [record_id]}).first()
    return (row[1], bool(row[2])) if row is not None else None


def reviewable_record(db: Session, user: User, entity: str, record_id: str) -> Any:
    """The record (not deleted, in the user's area), or NotFoundInArea (answered 404)."""
    place = village_of_record(db, entity, record_id)
    if place is None or place[1]:
        raise NotFoundInArea()
    area = area_village_ids(db, user)
    if area is not None and place[0] not in area:
        raise NotFoundInArea()
    return db.get(MODELS[entity], record_id)


@dataclass
class Described:
    label: str
    village: str
    household_id: str | None
    deleted: bool


def describe(db: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Described]:
    """A short label, the village's name and the household of each (entity, id): a few queries in all."""
    wanted: dict[str, set[str]] = {}
    for entity, record_id in keys:
        if entity in MODELS and is_record_id(record_id):
            wanted.setdefault(entity, set()).add(record_id)
    rows: dict[tuple[str, str], Any] = {}
    for entity, ids in wanted.items():
        for record in db.exec(select(MODELS[entity]).where(MODELS[entity].id.in_(ids))):
            rows[(entity, record.id)] = record
    household_ids = {getattr(r, "household_id", None) for r in rows.values()} - {None}
    household_ids |= {rid for (e, rid) in rows if e == "household"}
    households = {h.id: h for h in db.exec(select(Household).where(Household.id.in_(household_ids)))}
    session_ids = {r.session_id for (e, _), r in rows.items() if e == "attendance"}
    sessions = {s.id: s for s in db.exec(select(TrainingSession).where(TrainingSession.id.in_(session_ids)))}
    village_ids = {h.village_id for h in households.values()} | {r.village_id for (e, _), r in rows.items()
                                                                 if e == "sage"}
    villages = dict(db.exec(select(Village.id, Village.name).where(Village.id.in_(village_ids))).all())
    trainings = {t.id: t for t in db.exec(select(Training).where(Training.id.in_(
        {r.training_id for (e, _), r in rows.items() if e == "enrollment"})))}

    found: dict[tuple[str, str], Described] = {}
    for (entity, record_id), record in rows.items():
        if entity == "sage":
            found[(entity, record_id)] = Described(record.name, villages.get(record.village_id, ""), None,
                                                   record.deleted)
            continue
        household = households.get(record.id if entity == "household" else record.household_id)
        label = f"{household.house_no} {household.head_name}" if household else ""
        if entity == "survey":
            label += f" · {survey_kind_label(record.kind)}"
        elif entity == "attendance":
            day = sessions.get(record.session_id)
            label += " · " + gettext_("day {n}").format(n=day.day if day else "?")
        elif entity == "enrollment":
            training = trainings.get(record.training_id)
            label += f" · {training.occupation if training else ''}"
        found[(entity, record_id)] = Described(label, villages.get(household.village_id, "") if household else "",
                                               household.id if household else None, record.deleted)
    return found
