"""House numbers read naturally (2, 16/2, 16/10, 106/3) wherever a training's households are listed: the
training page, the village's progress, the attendance sheet and the exports."""
from sqlmodel import Session

from server.models import Village
from tests.support.factories import make_enrollment, make_household, make_training

NATURAL = ["2/1", "16/2", "16/10", "106/3"]


def order_on(text: str) -> list[str]:
    found = {number: text.find(f">{number}<") if f">{number}<" in text else text.find(f"{number},")
             for number in NATURAL}
    assert all(position >= 0 for position in found.values()), found
    return sorted(NATURAL, key=found.get)


def test_a_trainings_households_are_listed_in_natural_house_order_everywhere(north, world, engine):
    village_id = world.villages["34140102"]
    with Session(engine) as db:
        course = make_training(db, village_id=village_id)
        for number in ("106/3", "16/10", "2/1", "16/2"):  # text order: 106/3, 16/10, 16/2, 2/1
            household = make_household(db, village_id=village_id, house_no=number, head_name=f"นางบ้าน {number}")
            make_enrollment(db, training=course["training"], household=household)
        training_id, session_id = course["training"].id, course["sessions"][0].id
        code = db.get(Village, village_id).code

    def show_house_numbers(text: str) -> str:
        # Pages show a house number in a cell or after a label; mark each so its position can be found.
        for number in NATURAL:
            text = text.replace(number, f">{number}<")
        return text

    pages = {"training": north.get(f"/trainings/{training_id}"),
             "progress": north.get(f"/progress/villages/{code}"),
             "attendance sheet": north.get(f"/print/sessions/{session_id}"),
             "enrollments export": north.get(f"/reports/export/enrollments.csv?village={village_id}")}
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert order_on(show_house_numbers(response.text)) == NATURAL, name
