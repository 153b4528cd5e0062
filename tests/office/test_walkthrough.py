"""A newcomer can walk the program from page to page: village progress, team, training, group, sages."""
from sqlmodel import Session, select

from server.models import OccupationGroup
from tests.office.test_groups import _group, _trained
from tests.office.test_trainings import plan, the_training


def test_each_progress_step_links_to_where_it_is_done(north, world, engine):
    village = world.villages["34140101"]
    before = north.get("/villages").text
    assert f'href="/teams/{village}"' in before
    assert f'href="/trainings/new?village={village}"' in before
    assert f'href="/households?village={village}"' in before
    plan(north, world)
    training, _sessions = the_training(engine)
    after = north.get("/villages").text
    assert f'href="/trainings/{training.id}"' in after
    assert f'href="/trainings/{training.id}/select"' in after


def test_the_team_page_leads_to_the_training_or_to_planning_one(north, world, engine):
    village = world.villages["34140101"]
    assert f'href="/trainings/new?village={village}"' in north.get(f"/teams/{village}").text
    plan(north, world)
    training, _sessions = the_training(engine)
    assert f'href="/trainings/{training.id}"' in north.get(f"/teams/{village}").text


def test_the_group_page_links_to_its_village_training(north, world, engine):
    chosen = _trained(north, world, engine)
    group_url = _group(north, world, chosen).headers["location"]
    training, _sessions = the_training(engine)
    assert f'href="/trainings/{training.id}"' in north.get(group_url).text
    with Session(engine) as db:
        assert db.exec(select(OccupationGroup)).one().village_id == training.village_id


def test_a_sage_row_links_to_the_team_of_the_sage_village(north, world):
    page = north.get("/sages").text
    assert f'href="/teams/{world.villages["34140101"]}"' in page
    row = north.get(f"/sages/{world.sages['north1']}/row").text
    assert f'href="/teams/{world.villages["34140101"]}"' in row
