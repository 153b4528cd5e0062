"""A village's year on one screen costs as many SQL statements for many trainings and groups as for one."""
from __future__ import annotations

from sqlalchemy import event
from sqlmodel import Session

from server.models import GroupMember, Village
from server.reports.village_story import village_story
from tests.reports.conftest import ALL_FIVE, FISCAL_YEAR, add_group, add_trainee, add_training


def _story(engine, village_id: str) -> tuple[dict, int]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        seen.append(statement)

    with Session(engine) as db:
        village = db.get(Village, village_id)
        event.listen(engine, "before_cursor_execute", count)
        try:
            story = village_story(db, village, FISCAL_YEAR)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return story, len(seen)


def test_the_story_runs_as_many_statements_for_four_trainings_as_for_one(engine, program):
    village_id = program.villages["34140101"]
    _before, one = _story(engine, village_id)

    with Session(engine) as db:
        for n, occupation in enumerate(("livestock", "weaving", "processing"), start=1):
            training, sessions = add_training(db, village_id=village_id, occupation=occupation)
            add_trainee(db, training=training, sessions=sessions, village_id=village_id,
                        head_name=f"นางเพิ่ม {n}", present_days={1, 2}, surveys={"baseline": (1_000 * n, False)})
        group_id = add_group(db, village_id=village_id, scores=ALL_FIVE)
        db.add(GroupMember(group_id=group_id, household_id=program.households["A"]))
        add_group(db, village_id=village_id, scores=None)
        db.commit()
    story, four = _story(engine, village_id)

    assert four == one
    assert [c["training"].occupation for c in story["courses"]] == ["livestock", "orchard", "processing", "weaving"]
    orchard = story["courses"][1]
    assert [e.status for e, _h in orchard["enrolled"]] == ["withdrawn"] + ["selected"] * 5
    assert orchard["selected"] == 5 and [orchard["present"][s.id] for s in orchard["sessions"]] == [4, 2, 2, 1, 1]
    assert set(orchard["surveys"][program.households["A"]]) == {"baseline", "after_training", "follow_up_3m"}
    livestock = story["courses"][0]
    assert [h.head_name for _e, h in livestock["enrolled"]] == ["นางเพิ่ม 1"]
    assert list(livestock["surveys"].values())[0]["baseline"].annual_income == 1_000
    assert len(livestock["marks"]) == 5 and sum(livestock["marks"].values()) == 2
    assert sorted((g["members"], g["score"]) for g in story["groups"]) == [(0, 0), (0, 5), (1, 5)]
