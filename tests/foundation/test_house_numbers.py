"""House numbers in natural order: the stored key sorts as text exactly as the Python key does."""
from hypothesis import given, settings
from hypothesis import strategies as st

from server.core.house_numbers import house_number_key, house_sort_key

# What offices type: Arabic and Thai digits, slashes, dashes, dots, spaces, Thai and Latin letters —
# and, now and then, any character at all.
house_numbers = st.text(alphabet=st.one_of(st.sampled_from("0123456789๐๑๒๓๔๕๖๗๘๙/-. มกabAB"), st.characters()),
                        max_size=20)


def test_the_natural_order_of_house_numbers() -> None:
    typed = ["106/3", "16/10", "2/10", "2", "10", "2/9", "12/10", "12/3", "๑๒/๑", "ม.3", "007"]

    assert sorted(typed, key=house_number_key) == ["2", "2/9", "2/10", "007", "10", "๑๒/๑", "12/3", "12/10",
                                                   "16/10", "106/3", "ม.3"]
    assert sorted(typed, key=house_sort_key) == sorted(typed, key=house_number_key)


@settings(max_examples=2000, deadline=None)
@given(house_numbers, house_numbers)
def test_the_stored_key_orders_two_house_numbers_as_the_natural_order_does(a: str, b: str) -> None:
    natural = (house_number_key(a) > house_number_key(b)) - (house_number_key(a) < house_number_key(b))
    stored = (house_sort_key(a) > house_sort_key(b)) - (house_sort_key(a) < house_sort_key(b))

    assert stored == natural


@given(house_numbers)
def test_the_stored_key_is_digits_only_so_any_collation_sorts_it_alike(house_no: str) -> None:
    assert house_sort_key(house_no).isascii() and (house_sort_key(house_no).isdigit() or house_no == "")
