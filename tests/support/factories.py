"""Record factories for tests: a small slice of Muang Sam Sip, users, households, citizen IDs.

Every name of a village, household or person here is fictitious. The helpers add and flush
records and commit unless `commit=False`, so a test can also group them in one transaction.
"""
from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import Session

from server.auth.passwords import hash_password
from server.models import (
    District,
    Household,
    Province,
    Subdistrict,
    User,
    UserArea,
    Village,
)
from server.program.field_checks import citizen_id_check_digit
from sync.changes import stamp_change

DEFAULT_PASSWORD = "pw-test-1234"

VILLAGE_FIELDS = ("code", "subdistrict_code", "number", "name", "participating")
HOUSEHOLD_FIELDS = ("village_id", "house_no", "head_name", "citizen_id", "members", "annual_income",
                    "phone", "consent", "interest", "note")

_house_numbers = itertools.count(1)


def valid_citizen_id(seed: int) -> str:
    """A 13-digit citizen ID with a correct check digit; the same seed gives the same ID."""
    first12 = "1" + f"{seed % 10**11:011d}"
    return first12 + str(citizen_id_check_digit(first12))


def make_geography(session: Session, *, commit: bool = True) -> dict[str, Any]:
    """Province 34, district 3414, subdistricts 341401/341402 with two participating villages each.

    Returns {"province", "district", "subdistricts": [2], "villages": [4],
    "village": {code: Village}} with villages 34140101, 34140102, 34140201, 34140202.
    """
    province = Province(code="34", name_th="อุบลราชธานี", name_en="Ubon Ratchathani")
    district = District(code="3414", province_code="34", name_th="ม่วงสามสิบ", name_en="Muang Sam Sip")
    subdistricts = [
        Subdistrict(code="341401", district_code="3414", name_th="ม่วงสามสิบ", name_en="Muang Sam Sip"),
        Subdistrict(code="341402", district_code="3414", name_th="เหล่าบก", name_en="Lao Bok"),
    ]
    # Flushed level by level: without ORM relationships the unit of work does not order the
    # inserts by foreign key.
    for record in (province, district, *subdistricts):
        session.add(record)
        session.flush()

    names = {"34140101": "บ้านนาทดลอง", "34140102": "บ้านโคกสมมุติ",
             "34140201": "บ้านหนองตัวอย่าง", "34140202": "บ้านดอนจำลอง"}
    villages = []
    for code, name in names.items():
        village = Village(code=code, subdistrict_code=code[:6], number=int(code[6:]), name=name,
                          participating=True)
        session.add(village)
        session.flush()
        stamp_change(session, village, entity="village", fields=VILLAGE_FIELDS,
                     village_id=village.id, user_id=None)
        villages.append(village)
    if commit:
        session.commit()
    return {"province": province, "district": district, "subdistricts": subdistricts,
            "villages": villages, "village": {v.code: v for v in villages}}


def make_user(session: Session, *, username: str, role: str, password: str = DEFAULT_PASSWORD,
              district_code: str | None = None, subdistrict_codes: tuple[str, ...] | list[str] = (),
              village_ids: tuple[str, ...] | list[str] = (), display_name: str | None = None,
              commit: bool = True) -> User:
    """A user with a hashed password and, for officers, area assignments (subdistricts/villages)."""
    user = User(username=username, display_name=display_name or f"ผู้ทดสอบ {username}",
                password_hash=hash_password(password), role=role, district_code=district_code)
    session.add(user)
    session.flush()
    for code in subdistrict_codes:
        session.add(UserArea(user_id=user.id, subdistrict_code=code))
    for village_id in village_ids:
        session.add(UserArea(user_id=user.id, village_id=village_id))
    session.flush()
    if commit:
        session.commit()
    return user


def make_household(session: Session, *, village_id: str, user_id: int | None = None,
                   commit: bool = True, **fields: Any) -> Household:
    """A household in `village_id` with plausible defaults; any field can be given."""
    number = next(_house_numbers)
    values: dict[str, Any] = {"house_no": f"{number}/1", "head_name": f"นางสมมุติ ทดสอบ{number}",
                              "members": 4, "annual_income": 120_000, "consent": True}
    values.update(fields)
    household = Household(village_id=village_id, **values)
    session.add(household)
    session.flush()
    stamp_change(session, household, entity="household", fields=HOUSEHOLD_FIELDS,
                 village_id=village_id, user_id=user_id)
    if commit:
        session.commit()
    return household


TRAINING_FIELDS = ("village_id", "occupation", "fiscal_year", "title")
SESSION_FIELDS = ("training_id", "day", "kind", "date", "destination", "note")
ENROLLMENT_FIELDS = ("training_id", "household_id", "occupation", "status", "reason")


def make_training(session: Session, *, village_id: str, occupation: str = "trading", fiscal_year: int | None = None,
                  first_day: Any = None, title: str | None = None, commit: bool = True) -> dict[str, Any]:
    """A village's training with its 5 days on consecutive dates from `first_day` (default: the days
    ending yesterday, Thai time, so attendance may be taken on every one), of the fiscal year of its
    first day unless `fiscal_year` is given.

    Returns {"training", "sessions": [day 1..5]}.
    """
    import datetime as dt

    from server.core.dates import fiscal_year_be, thai_today
    from server.models import Training, TrainingSession
    from server.program.rules import TRAINING_DAYS, default_session_kind

    first_day = first_day or thai_today() - dt.timedelta(days=TRAINING_DAYS)
    fiscal_year = fiscal_year or fiscal_year_be(first_day)
    training = Training(village_id=village_id, occupation=occupation, fiscal_year=fiscal_year, title=title)
    session.add(training)
    session.flush()
    stamp_change(session, training, entity="training", fields=TRAINING_FIELDS, village_id=village_id, user_id=None)
    sessions = []
    for day in range(1, TRAINING_DAYS + 1):
        record = TrainingSession(training_id=training.id, day=day, kind=default_session_kind(day),
                                 date=first_day + dt.timedelta(days=day - 1))
        session.add(record)
        session.flush()
        stamp_change(session, record, entity="session", fields=SESSION_FIELDS, village_id=village_id, user_id=None)
        sessions.append(record)
    if commit:
        session.commit()
    return {"training": training, "sessions": sessions}


def make_enrollment(session: Session, *, training: Any, household: Any, status: str = "selected",
                    commit: bool = True) -> Any:
    """`household` selected for (or withdrawn from) `training`."""
    from server.models import Enrollment

    enrollment = Enrollment(training_id=training.id, household_id=household.id, occupation=training.occupation,
                            status=status)
    session.add(enrollment)
    session.flush()
    stamp_change(session, enrollment, entity="enrollment", fields=ENROLLMENT_FIELDS,
                 village_id=household.village_id, user_id=None)
    if commit:
        session.commit()
    return enrollment


def freeze_thai_today(monkeypatch: Any, day: Any) -> None:
    """Make `day` today in Thailand for the server's one clock (server.core.dates); the time of day
    still runs, so ages and timeouts measured against it behave as they would."""
    import datetime as dt

    from server.core import dates

    real = dates._source

    def on_that_day() -> dt.datetime:
        now = real().astimezone(dates.THAI_TIME)
        return dt.datetime.combine(day, now.timetz()).astimezone(dt.timezone.utc)

    monkeypatch.setattr(dates, "_source", on_that_day)
