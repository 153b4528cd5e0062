"""Demo data: Muang Sam Sip district (3414) with its real subdistricts and plainly fictitious people.

Every person, household and village name here is invented ("สาธิต" = demonstration). Loaded only
into an empty database, only by `sammachip seed-demo`.
"""
from __future__ import annotations

import datetime as dt
import random

from sqlmodel import Session, select

from server.auth.passwords import hash_password
from server.config.reference_data import ensure_defaults
from server.core.dates import current_fiscal_year, thai_today
from server.models import (
    Attendance,
    District,
    Enrollment,
    FiveKAssessment,
    GroupMember,
    Household,
    OccupationGroup,
    Partner,
    Province,
    Sage,
    Subdistrict,
    Survey,
    TeamMember,
    TrainerTeam,
    Training,
    TrainingSession,
    User,
    UserArea,
    Village,
)
from server.program.field_checks import citizen_id_check_digit
from server.program.rules import default_session_kind, rank_candidates
from server.synced.specs import REGISTRY
from server.synced.write import save_synced

DEMO_PASSWORD = "sammachip-demo"
DISTRICT = ("3414", "ม่วงสามสิบ", "Muang Sam Sip")
SUBDISTRICTS = [  # DOPA geocodes of the district's 14 subdistricts
    ("341401", "ม่วงสามสิบ", "Muang Sam Sip"), ("341402", "เหล่าบก", "Lao Bok"),
    ("341403", "ดุมใหญ่", "Dum Yai"), ("341404", "หนองช้างใหญ่", "Nong Chang Yai"),
    ("341405", "หนองเมือง", "Nong Mueang"), ("341406", "เตย", "Toei"),
    ("341407", "ยางสักกระโพหลุ่ม", "Yang Sak Krapho Lum"), ("341408", "หนองไข่นก", "Nong Khai Nok"),
    ("341409", "หนองเหล่า", "Nong Lao"), ("341410", "หนองฮาง", "Nong Hang"),
    ("341411", "ยางโยภาพ", "Yang Yo Phap"), ("341412", "ไผ่ใหญ่", "Phai Yai"),
    ("341413", "นาเลิง", "Na Loeng"), ("341414", "โพนแพง", "Phon Phaeng"),
]
# 13 participating villages (subdistrict, village number, fictitious name, trade) + 3 that are not.
VILLAGES = [
    ("341401", 1, "บ้านสาธิตดอกแก้ว", "orchard"), ("341401", 2, "บ้านสาธิตโนนงาม", "livestock"),
    ("341401", 5, "บ้านสาธิตหนองบัว", None),
    ("341402", 1, "บ้านสาธิตนาคำ", "trading"), ("341402", 3, "บ้านสาธิตป่าหวาย", "field_crops"),
    ("341403", 2, "บ้านสาธิตโคกสูง", "orchard"), ("341404", 4, "บ้านสาธิตห้วยทราย", "fishery"),
    ("341404", 6, "บ้านสาธิตดอนแดง", None),
    ("341405", 1, "บ้านสาธิตสร้างแก้ว", "own_business"), ("341406", 7, "บ้านสาธิตท่าช้าง", "livestock"),
    ("341407", 2, "บ้านสาธิตหนองแสง", "services"), ("341408", 3, "บ้านสาธิตคำไฮ", "orchard"),
    ("341409", 1, "บ้านสาธิตนาดี", "trading"), ("341410", 5, "บ้านสาธิตโพธิ์ทอง", "field_crops"),
    ("341411", 8, "บ้านสาธิตบุ่งเขียว", "own_business"), ("341412", 2, "บ้านสาธิตหนองนกทา", None),
]
OFFICER_SUBDISTRICTS = ("341401", "341402")
FIRST_NAMES = ["สมมุติ", "ทดลอง", "ตัวอย่าง", "สาธิต", "จำลอง", "สมมติ", "ทดสอบ", "สมชาย", "สมหญิง", "มาลี",
               "บุญมี", "คำปุน", "ทองดี", "แก้วตา", "บัวผัน", "จันทร์เพ็ญ", "ประเสริฐ", "สุดใจ", "นงลักษณ์", "อำนวย"]
SURNAMES = ["ใจดีสาธิต", "รักถิ่นสมมุติ", "มีสุขตัวอย่าง", "ทองคำทดลอง", "ศรีสาธิต", "บุญมาจำลอง"]
PARTNERS = [
    "เครือข่ายคณะกรรมการพัฒนาสตรีอำเภอม่วงสามสิบ",
    "ศูนย์ประสานงานองค์การชุมชนอำเภอม่วงสามสิบ (ศอช.อ.)",
    "เครือข่ายกลุ่มออมทรัพย์เพื่อการผลิตอำเภอม่วงสามสิบ",
    "ชมรมผู้นำ อช. อำเภอม่วงสามสิบ",
]


def _citizen_id(rng: random.Random) -> str:
    first = str(rng.randint(1, 8)) + "".join(str(rng.randint(0, 9)) for _ in range(11))
    return first + str(citizen_id_check_digit(first))


def _person(rng: random.Random, title: str) -> str:
    return f"{title}{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def _save(db: Session, record, entity: str) -> None:  # noqa: ANN001
    """Demo records are written as any other: the same rules, change feed and audit as a page's."""
    values = {name: getattr(record, name) for name in REGISTRY.entities[entity].kinds}
    save_synced(db, record, entity=entity, values=values, user=None, audit_detail={"via": "demo"})


def has_data(db: Session) -> bool:
    return db.exec(select(User)).first() is not None


def seed_demo(db: Session, *, today: dt.date | None = None) -> dict[str, str]:
    """Fill an empty database with the demo district; returns the demo accounts."""
    today = today or thai_today()
    rng = random.Random(3414)
    ensure_defaults(db)
    fiscal_year = current_fiscal_year()

    # No ORM relationships tie these tables together, so flush parents before children.
    db.add(Province(code="34", name_th="อุบลราชธานี", name_en="Ubon Ratchathani"))
    db.flush()
    db.add(District(code=DISTRICT[0], province_code="34", name_th=DISTRICT[1], name_en=DISTRICT[2]))
    db.flush()
    for code, th, en in SUBDISTRICTS:
        db.add(Subdistrict(code=code, district_code=DISTRICT[0], name_th=th, name_en=en))
    db.flush()

    admin = User(username="admin", display_name="ผู้ดูแลระบบ (สาธิต)", role="admin",
                 password_hash=hash_password(DEMO_PASSWORD))
    supervisor = User(username="supervisor", display_name="พัฒนาการอำเภอ (สาธิต)", role="supervisor",
                      district_code=DISTRICT[0], password_hash=hash_password(DEMO_PASSWORD))
    officer = User(username="officer", display_name="พัฒนากรสมมุติ ทดลอง", role="officer",
                   district_code=DISTRICT[0], password_hash=hash_password(DEMO_PASSWORD))
    db.add_all([admin, supervisor, officer])
    db.flush()
    for code in OFFICER_SUBDISTRICTS:
        db.add(UserArea(user_id=officer.id, subdistrict_code=code))
    partners = [Partner(district_code=DISTRICT[0], name=name, kind="support_team", preloaded=True)
                for name in PARTNERS]
    db.add_all(partners)

    start = today - dt.timedelta(days=20)
    for index, (sub, number, name, trade) in enumerate(VILLAGES):
        village = Village(code=f"{sub}{number:02d}", subdistrict_code=sub, number=number, name=name,
                          participating=trade is not None)
        _save(db, village, "village")
        households = [
            Household(village_id=village.id, house_no=f"{rng.randint(1, 180)}/{n}",
                      head_name=_person(rng, rng.choice(["นาย", "นาง", "นางสาว"])),
                      citizen_id=_citizen_id(rng), members=rng.randint(1, 7),
                      annual_income=rng.randrange(18_000, 260_000, 500),
                      phone=f"08{rng.randint(10000000, 99999999)}", consent=True,
                      interest=trade)
            for n in range(1, 25)
        ]
        for household in households:
            _save(db, household, "household")
        if trade is None:
            continue

        sages = [Sage(village_id=village.id, name=_person(rng, rng.choice(["นาย", "นาง"])),
                      phone=f"09{rng.randint(10000000, 99999999)}", skills=[trade],
                      found_by=rng.choice(["ศอช.ต.", "อช.", "ผู้ใหญ่บ้าน"]),
                      workshop_date=start - dt.timedelta(days=40) if n == 0 else None)
                 for n in range(5)]
        for sage in sages:
            _save(db, sage, "sage")
        # Two villages still lack trainers, so the home page has something to ask for.
        team_size = 5 if index % 6 else 3
        team = TrainerTeam(village_id=village.id, fiscal_year=fiscal_year, lead_sage_id=sages[0].id)
        _save(db, team, "team")
        db.add_all(TeamMember(team_id=team.id, sage_id=sage.id) for sage in sages[1:team_size])

        training = Training(village_id=village.id, occupation=trade, fiscal_year=fiscal_year)
        _save(db, training, "training")
        first_day = start + dt.timedelta(days=3 * index)
        sessions = []
        for day in range(1, 6):
            when = first_day + dt.timedelta(days=day - 1 + (3 if day >= 4 else 0))
            session = TrainingSession(training_id=training.id, day=day, kind=default_session_kind(day),
                                      date=when, destination="ศูนย์เรียนรู้สาธิต" if day == 4 else None)
            _save(db, session, "session")
            sessions.append(session)

        # The poorest 18: two places of the target of 20 stay open for households found in the field.
        enrolled = rank_candidates(households)[:18]
        for household in enrolled:
            _save(db, Enrollment(training_id=training.id, household_id=household.id, occupation=trade),
                  "enrollment")
            # The baseline is taken before the training starts, never on a day still to come.
            _save(db, Survey(household_id=household.id, kind="baseline", surveyed_on=min(first_day, today),
                             annual_income=household.annual_income, practising_trade=False), "survey")
            for session in sessions:
                if session.date and session.date < today:
                    _save(db, Attendance(session_id=session.id, household_id=household.id,
                                         present=rng.random() < 0.9), "attendance")
        if index in (0, 5):
            group = OccupationGroup(village_id=village.id, name=f"กลุ่มสาธิต{name.removeprefix('บ้านสาธิต')}",
                                    category="agriculture", occupation=trade,
                                    registered_on=today - dt.timedelta(days=5), fund_balance=4_500,
                                    rules="ประชุมทุกเดือน ออมเดือนละ 50 บาท")
            _save(db, group, "group")
            for order, household in enumerate(enrolled[:12]):
                role = ("chair", "secretary", "treasurer")[order] if order < 3 else "member"
                db.add(GroupMember(group_id=group.id, household_id=household.id, role=role))
            db.flush()
            db.add(FiveKAssessment(group_id=group.id, assessed_on=today - dt.timedelta(days=2),
                                   scores={"members": True, "committee": True, "rules": True,
                                           "activities": False, "fund": True},
                                   notes="ยังไม่มีกิจกรรมประจำ", assessed_by_user_id=officer.id))
    db.commit()
    return {"admin": DEMO_PASSWORD, "supervisor": DEMO_PASSWORD, "officer": DEMO_PASSWORD}
