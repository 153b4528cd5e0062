"""Migration 0003 gives the households already registered their natural-order key."""
from __future__ import annotations

from sqlalchemy import text

from server.core.db import make_engine
from server.core.house_numbers import house_sort_key
from server.core.migrate import upgrade

HOUSE_NUMBERS = ["16/10", "106/3", "2", "ม.3", "๑๒/๔"]


def test_upgrading_fills_the_sort_key_of_every_household(blank_db_url: str) -> None:
    upgrade(blank_db_url, "0002")
    engine = make_engine(blank_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO province (code, name_th, name_en) VALUES ('34', 'อุบล', 'Ubon')"))
            conn.execute(text("INSERT INTO district (code, province_code, name_th, name_en) "
                              "VALUES ('3414', '34', 'ม่วงสามสิบ', 'Muang Sam Sip')"))
            conn.execute(text("INSERT INTO subdistrict (code, district_code, name_th, name_en) "
                              "VALUES ('341401', '3414', 'ม่วงสามสิบ', 'Muang Sam Sip')"))
            conn.execute(text("INSERT INTO village (id, seq, deleted, field_versions, created_at, updated_at, code, "
                              "subdistrict_code, number, name, participating) VALUES ('v1', 0, false, '{}', "
                              "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '34140101', '341401', 1, 'บ้านทดลอง', true)"))
            for n, house_no in enumerate(HOUSE_NUMBERS):
                conn.execute(text("INSERT INTO household (id, seq, deleted, field_versions, created_at, updated_at, "
                                  "village_id, house_no, head_name, members, annual_income, consent) VALUES "
                                  "(:id, 0, false, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'v1', :house_no, "
                                  "'นางสมมุติ', 1, 0, false)"), {"id": f"h{n}", "house_no": house_no})
    finally:
        engine.dispose()

    upgrade(blank_db_url, "0003")

    engine = make_engine(blank_db_url)
    try:
        with engine.connect() as conn:
            stored = dict(conn.execute(text("SELECT house_no, house_sort FROM household")).all())
            in_order = list(conn.execute(text("SELECT house_no FROM household ORDER BY house_sort")).scalars())
    finally:
        engine.dispose()
    assert stored == {house_no: house_sort_key(house_no) for house_no in HOUSE_NUMBERS}
    assert in_order == ["2", "๑๒/๔", "16/10", "106/3", "ม.3"]
