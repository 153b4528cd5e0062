"""The citizen-ID rule, income per person and the fiscal year: one function each, used everywhere."""
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from server.core.dates import fiscal_year_be
from server.program.field_checks import (
    check_citizen_id,
    citizen_id_check_digit,
    is_valid_citizen_id,
    mask_citizen_id,
    normalize_citizen_id,
)
from server.program.rules import check_household, income_per_person


def test_a_known_valid_citizen_id_passes_and_its_neighbours_fail():
    # 1-1017-00230-70-8: check digit worked by hand from the DOMAIN.md formula.
    assert citizen_id_check_digit("110170023070") == 8
    assert is_valid_citizen_id("1101700230708")
    assert not is_valid_citizen_id("1101700230707")
    assert check_citizen_id("citizen_id", "1101700230708") == []


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_any_twelve_digits_with_their_check_digit_are_valid(first12):
    cid = first12 + str(citizen_id_check_digit(first12))
    assert is_valid_citizen_id(cid)
    wrong_last = first12 + str((int(cid[12]) + 1) % 10)
    assert not is_valid_citizen_id(wrong_last)


def test_citizen_id_errors_say_what_is_wrong_in_thai_and_english():
    [short] = check_citizen_id("citizen_id", "12345")
    assert short.code == "invalid" and "13" in short.message_th and "13" in short.message_en
    [checksum] = check_citizen_id("citizen_id", "1101700230707")
    assert "check digit" in checksum.message_en and "เลขตรวจสอบ" in checksum.message_th
    assert check_citizen_id("citizen_id", None) == []  # optional


def test_other_digit_characters_are_refused_not_crashed_on():
    assert not is_valid_citizen_id("²" * 13)
    [error] = check_citizen_id("citizen_id", "²" * 13)
    assert error.code == "invalid"
    assert check_citizen_id("citizen_id", "๑๑๐๑๗๐๐๒๓๐๗๐๘")  # the API takes ASCII digits only


def test_typed_dashes_and_thai_digits_are_read_and_lists_show_only_the_last_digits():
    assert normalize_citizen_id("1-1017-00230-70-8") == "1101700230708"
    assert normalize_citizen_id("๑-๑๐๑๗-๐๐๒๓๐-๗๐-๘") == "1101700230708"
    assert normalize_citizen_id("  ") is None
    assert mask_citizen_id("1101700230708") == "x-xxxx-xxxxx-70-8"


def test_household_rules_refuse_negative_income_and_empty_households():
    errors = {e.field: e.code for e in check_household(
        {"house_no": "1", "head_name": "นายสมมุติ", "members": 0, "annual_income": -5})}
    assert errors == {"members": "invalid", "annual_income": "invalid"}
    assert check_household({"members": 2}, partial=True) == []


def test_income_per_person_ranks_by_head_count():
    assert income_per_person(60_000, 3) == 20_000
    assert income_per_person(60_000, 0) is None


def test_the_fiscal_year_starts_in_october_and_is_named_in_the_buddhist_era():
    assert fiscal_year_be(dt.date(2026, 9, 30)) == 2569
    assert fiscal_year_be(dt.date(2026, 10, 1)) == 2570
