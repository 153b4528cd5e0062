"""A training's attendance register: every selected household against every day, with the mark, the
officer's note, who marked it from which phone, and whether it was corrected after the day."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, select

from server.models import Attendance, Device, Enrollment, Household, Training, TrainingSession, User
from server.core.dates import THAI_TIME

# A mark changed this long after it was first stored counts as a correction (not the first capture).
CORRECTION_AFTER = dt.timedelta(minutes=1)


def _thai_day(moment: dt.datetime | None) -> dt.date | None:
    if moment is None:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(THAI_TIME).date()


@dataclass
class Mark:
    attendance: Attendance
    officer: str
    phone: str | None
    phone_no: int | None  # the phone's number in the register's list of phones
    late: bool  # corrected after the training day


@dataclass
class Register:
    training: Training
    sessions: list[TrainingSession]
    households: list[Household]
    marks: dict[tuple[str, str], Mark]  # (household id, session id) -> mark
    phones: list[tuple[int, str, str]] = field(default_factory=list)  # (number, phone name, officer)

    def mark(self, household_id: str, session_id: str) -> Mark | None:
        return self.marks.get((household_id, session_id))

    def present(self, session_id: str) -> int:
        return sum(1 for h in self.households if (m := self.marks.get((h.id, session_id))) and m.attendance.present)


def is_late_correction(attendance: Attendance, day: dt.date | None) -> bool:
    """Changed after it was first stored, on a day after the training day."""
    created, updated = attendance.created_at, attendance.updated_at
    if created is None or updated is None or day is None:
        return False
    created = created if created.tzinfo else created.replace(tzinfo=dt.timezone.utc)
    updated = updated if updated.tzinfo else updated.replace(tzinfo=dt.timezone.utc)
    changed_day = _thai_day(updated)
    return updated - created > CORRECTION_AFTER and changed_day is not None and changed_day > day


def register(db: Session, training: Training) -> Register:
    """The register of one training (a few dozen households, five days: read whole)."""
    sessions = list(db.exec(select(TrainingSession).where(TrainingSession.training_id == training.id,
                                                          TrainingSession.deleted == False)  # noqa: E712
                            .order_by(TrainingSession.day)).all())
    selected = select(Enrollment.household_id).where(Enrollment.training_id == training.id,
                                                     Enrollment.status == "selected",
                                                     Enrollment.deleted == False)  # noqa: E712
    attendance = list(db.exec(select(Attendance).where(Attendance.session_id.in_([s.id for s in sessions] or [""]),
                                                       Attendance.deleted == False)).all())  # noqa: E712
    marked = {a.household_id for a in attendance}
    households = list(db.exec(select(Household).where(
        (Household.id.in_(selected)) | (Household.id.in_(marked or {""})), Household.deleted == False)  # noqa: E712
        .order_by(Household.house_sort, Household.head_name)).all())
    users = {u.id: u for u in db.exec(select(User).where(
        User.id.in_({a.updated_by_user_id for a in attendance} - {None} or {0}))).all()}
    devices = {d.id: d for d in db.exec(select(Device).where(
        Device.id.in_({a.updated_by_device_id for a in attendance} - {None} or {""}))).all()}
    days = {s.id: s.date for s in sessions}
    numbers: dict[str, int] = {}
    phones = []
    for a in sorted(attendance, key=lambda a: (a.updated_at or a.created_at, a.id)):
        device = devices.get(a.updated_by_device_id)
        if device is not None and device.id not in numbers:
            numbers[device.id] = len(numbers) + 1
            owner = users.get(device.user_id) or users.get(a.updated_by_user_id)
            phones.append((numbers[device.id], device.name, (owner.display_name or owner.username) if owner else ""))
    marks = {}
    for a in attendance:
        who = users.get(a.updated_by_user_id)
        device = devices.get(a.updated_by_device_id)
        marks[(a.household_id, a.session_id)] = Mark(
            attendance=a, officer=(who.display_name or who.username) if who else "",
            phone=device.name if device else None, phone_no=numbers.get(device.id) if device else None,
            late=is_late_correction(a, days.get(a.session_id)))
    return Register(training=training, sessions=sessions, households=households, marks=marks, phones=phones)


def attendance_sheet(db: Session, *, training_id: str) -> tuple[list[TrainingSession], list[Household]]:
    """What the printed sheet of a training lists: its days in order, and its selected households by house
    number (a row each, to sign)."""
    sessions = list(db.exec(select(TrainingSession).where(TrainingSession.training_id == training_id,
                                                          TrainingSession.deleted == False)  # noqa: E712
                            .order_by(TrainingSession.day)).all())
    households = list(db.exec(select(Household).join(Enrollment, Enrollment.household_id == Household.id)
                              .where(Enrollment.training_id == training_id, Enrollment.status == "selected",
                                     Enrollment.deleted == False, Household.deleted == False)  # noqa: E712
                              .order_by(Household.house_sort, Household.head_name)).all())
    return sessions, households
