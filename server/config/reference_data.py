"""The configuration every installation starts with (an administrator edits it afterwards).

Loaded after migrations when the tables are empty; never overwrites what an administrator changed.
"""
from __future__ import annotations

import json

from sqlmodel import Session, select

from server.models import AppSetting, FiveKElement, Occupation, PovertyLine

TRADES = [  # the จปฐ. survey's occupation list
    ("rice_farming", "ทำนา", "Rice farming"),
    ("field_crops", "ทำไร่", "Field crops"),
    ("orchard", "ทำสวน", "Orchards and gardens"),
    ("fishery", "ประมง", "Fishery"),
    ("livestock", "ปศุสัตว์", "Livestock"),
    ("trading", "ค้าขาย", "Trading"),
    ("labour", "รับจ้างใช้แรงงาน", "Hired labour"),
    ("services", "บริการ", "Services"),
    ("own_business", "ธุรกิจส่วนตัว", "Own business"),
    ("other", "อื่นๆ", "Other"),
]
GROUP_CATEGORIES = [  # the department's occupation-group categories
    ("agriculture", "ภาคการเกษตร", "Agriculture"),
    ("processing", "การแปรรูป (OTOP/SME)", "Processing (OTOP/SME)"),
    ("community_tourism", "การท่องเที่ยวชุมชน", "Community tourism"),
    ("other_group", "อื่นๆ", "Other"),
]
FUNDING_SOURCES = [  # where a group or a training may ask for money (the configuration's list)
    ("cdd", "กรมการพัฒนาชุมชน", "Community Development Department"),
    ("local_government", "องค์กรปกครองส่วนท้องถิ่น", "Local government"),
    ("bank", "ธนาคาร", "Bank"),
    ("village_fund", "กองทุนหมู่บ้าน", "Village fund"),
    ("partner", "ภาคีการพัฒนา", "Development partner"),
]
FIVE_K = [
    ("members", "กลุ่ม/สมาชิก", "Group and members", "มีทะเบียนรายชื่อสมาชิก", "A member list exists"),
    ("committee", "กรรมการ", "Committee", "มีการเลือกคณะกรรมการ", "A committee has been chosen"),
    ("rules", "กฎ/กติกา/ระเบียบ", "Rules", "มีกติกาเป็นลายลักษณ์อักษร", "Written rules exist"),
    ("activities", "กิจกรรม", "Activities", "มีกิจกรรมดำเนินการสม่ำเสมอ", "A regular activity runs"),
    ("fund", "กองทุน", "Fund", "มีกองทุนหรือเงินออม", "A fund or savings exists"),
]
POVERTY_LINES = [(2555, 2559, 30_000), (2560, 2564, 38_000), (2565, 2570, 38_000)]
SETTINGS = {
    "households_per_village": "20",
    "follow_up_months": json.dumps([3, 6, 12]),
    "rank_by_welfare_card": "0",  # 1: the selection lists holders of the state welfare card first
}


def ensure_defaults(db: Session) -> None:
    if db.exec(select(Occupation)).first() is None:
        for order, (code, th, en) in enumerate(TRADES):
            db.add(Occupation(code=code, kind="trade", name_th=th, name_en=en, sort_order=order))
        for order, (code, th, en) in enumerate(GROUP_CATEGORIES):
            db.add(Occupation(code=code, kind="group_category", name_th=th, name_en=en, sort_order=order))
        for order, (code, th, en) in enumerate(FUNDING_SOURCES):
            db.add(Occupation(code=code, kind="funding_source", name_th=th, name_en=en, sort_order=order))
    if db.exec(select(FiveKElement)).first() is None:
        for order, (code, th, en, cth, cen) in enumerate(FIVE_K):
            db.add(FiveKElement(code=code, name_th=th, name_en=en, criterion_th=cth, criterion_en=cen,
                                sort_order=order))
    if db.exec(select(PovertyLine)).first() is None:
        for start, end, amount in POVERTY_LINES:
            db.add(PovertyLine(from_year=start, to_year=end, amount=amount))
    for key, value in SETTINGS.items():
        if db.get(AppSetting, key) is None:
            db.add(AppSetting(key=key, value=value))
    db.commit()
