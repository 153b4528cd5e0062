"""Records that leave a phone's area come once as `out_of_area`; the phone drops them, the server keeps them."""
from __future__ import annotations

from sqlmodel import Session, select

from server.models import Attendance, Enrollment, Household, Survey, User, UserArea
from tests.support.factories import make_household
from tests.sync.helpers import make_area, new_id, op, pull_all, push_ok, sign_in
from server.program.rules import thai_today

OUT = "out_of_area"


class Phone:
    """A phone that keeps what it pulls, drops what leaves its area, and remembers what it was told."""

    def __init__(self, client, username: str, name: str = "phone") -> None:
        self.client = client
        self.headers = sign_in(client, username, name)
        self.cursor: str | None = None
        self.records: dict[tuple[str, str], dict] = {}
        self.left: list[tuple[str, str]] = []

    def sync(self, limit: int = 500) -> list[dict]:
        changes, self.cursor = pull_all(self.client, self.headers, self.cursor, limit)
        for change in changes:
            key = (change["entity"], change["id"])
            if change.get("reason") == OUT:
                self.left.append(key)
                self.records.pop(key, None)
            else:
                self.records[key] = change
        return changes

    def holds(self) -> dict[tuple[str, str], int]:
        return {key: c["seq"] for key, c in self.records.items() if key[0] != "occupation"}


def _what_a_new_phone_gets(client, username: str) -> dict[tuple[str, str], int]:
    phone = Phone(client, username, "new phone")
    changes = phone.sync()
    assert not any("reason" in c for c in changes)  # a new phone holds nothing that could leave
    return phone.holds()


def _household_with_dependents(client, engine, village_index: int = 0):
    """somchai's household with an enrollment, an attendance and a survey, all pushed by his phone."""
    with Session(engine, expire_on_commit=False) as s:
        area = make_area(s)
    household = area.households[0]
    ids = {"enrollment": new_id(), "attendance": new_id(), "survey": new_id()}
    results = push_ok(client, sign_in(client, "somchai", "capture"), [
        op("enrollment", ids["enrollment"], {"training_id": area.training.id, "household_id": household.id}),
        op("attendance", ids["attendance"], {"session_id": area.sessions[0].id, "household_id": household.id,
                                              "present": True}),
        op("survey", ids["survey"], {"household_id": household.id, "kind": "baseline", "annual_income": 40_000,
                                     "surveyed_on": thai_today().isoformat()}),
    ])
    assert [r["status"] for r in results] == ["applied"] * 3
    return area, household, ids


def _move(client, engine, household_id: str, village_id: str) -> int:
    with Session(engine) as s:
        seq = s.get(Household, household_id).seq
    (result,) = push_ok(client, sign_in(client, "root", "office"),
                        [op("household", household_id, {"village_id": village_id}, base_seq=seq)])
    assert result["status"] == "applied", result
    return result["seq"]


def _set_area(engine, username: str, *, role: str = "officer", villages=(), subdistricts=()) -> None:
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        for row in s.exec(select(UserArea).where(UserArea.user_id == user.id)).all():
            s.delete(row)
        user.role = role
        s.add(user)
        for village_id in villages:
            s.add(UserArea(user_id=user.id, village_id=village_id))
        for code in subdistricts:
            s.add(UserArea(user_id=user.id, subdistrict_code=code))
        s.commit()


# --- a household moves -----------------------------------------------------------------------------

def test_a_household_moved_away_leaves_the_old_phones_once_and_reaches_the_new_ones(client, engine):
    area, household, ids = _household_with_dependents(client, engine)
    somchai, malee = Phone(client, "somchai"), Phone(client, "malee")
    somchai.sync()
    malee.sync()
    moved = {("household", household.id), *((entity, rid) for entity, rid in ids.items())}
    assert moved <= set(somchai.holds())

    move_seq = _move(client, engine, household.id, area.villages[2].id)
    changes = somchai.sync()

    assert {(c["entity"], c["id"]) for c in changes} == moved
    assert all(c["deleted"] is True and c["reason"] == OUT and c["fields"] == {} for c in changes)
    assert [c["seq"] for c in changes] == sorted(c["seq"] for c in changes)
    assert changes[0] == {"entity": "household", "id": household.id, "seq": move_seq, "deleted": True,
                          "reason": OUT, "fields": {}}
    assert not moved & set(somchai.holds())
    assert somchai.sync() == []  # told once
    assert somchai.holds() == _what_a_new_phone_gets(client, "somchai")

    # The new area's phone gets the records with their values; the server deleted nothing.
    malee.sync()
    assert moved <= set(malee.holds())
    assert malee.records[("survey", ids["survey"])]["fields"]["annual_income"] == 40_000
    assert malee.records[("household", household.id)]["fields"]["village_id"] == area.villages[2].id
    with Session(engine) as s:
        assert not s.get(Household, household.id).deleted
        assert not any(s.get(model, ids[name]).deleted for name, model in
                       (("enrollment", Enrollment), ("attendance", Attendance), ("survey", Survey)))


def test_a_move_the_phone_still_covers_is_an_ordinary_change(client, engine):
    area, household, ids = _household_with_dependents(client, engine)
    phone = Phone(client, "somchai")
    phone.sync()
    _move(client, engine, household.id, area.villages[1].id)  # the officer's other village

    changes = phone.sync()

    assert not any("reason" in c for c in changes)
    assert {(c["entity"], c["id"]) for c in changes} == {("household", household.id),
                                                         *((entity, rid) for entity, rid in ids.items())}
    assert phone.records[("household", household.id)]["fields"]["village_id"] == area.villages[1].id


def test_a_household_moved_out_and_back_before_the_phone_pulls_just_comes_again(client, engine):
    area, household, _ids = _household_with_dependents(client, engine)
    phone = Phone(client, "somchai")
    phone.sync()
    _move(client, engine, household.id, area.villages[2].id)
    back = _move(client, engine, household.id, area.villages[0].id)

    changes = phone.sync()

    assert not any("reason" in c for c in changes)
    assert phone.records[("household", household.id)]["seq"] == back
    assert phone.holds() == _what_a_new_phone_gets(client, "somchai")


def test_a_record_moved_within_the_area_and_then_out_is_told_once(client, engine):
    area, household, _ids = _household_with_dependents(client, engine)
    phone = Phone(client, "somchai")
    phone.sync()
    _move(client, engine, household.id, area.villages[1].id)
    _move(client, engine, household.id, area.villages[2].id)

    changes = phone.sync()

    assert [c["entity"] for c in changes if c["id"] == household.id] == ["household"]
    assert phone.left.count(("household", household.id)) == 1
    assert phone.holds() == _what_a_new_phone_gets(client, "somchai")


def test_a_household_moved_in_the_office_leaves_the_old_phones(client, engine):
    from litestar.testing import TestClient

    from tests.foundation.helpers import post_form, sign_in as office_sign_in

    area, household, ids = _household_with_dependents(client, engine)
    phone = Phone(client, "somchai")
    phone.sync()
    with Session(engine) as s:
        current = s.get(Household, household.id)
        form = {"village_id": area.villages[3].id, "house_no": current.house_no, "head_name": current.head_name,
                "members": str(current.members), "annual_income": str(current.annual_income), "consent": "1",
                "seq": str(current.seq)}
    with TestClient(client.app, base_url="http://testserver.local") as office:
        office_sign_in(office, "boss")
        response = post_form(office, f"/households/{household.id}", form, follow_redirects=False)
        assert response.status_code in (302, 303), response.text

    changes = phone.sync()

    assert {(c["entity"], c["id"]) for c in changes if c.get("reason") == OUT} == {
        ("household", household.id), *((entity, rid) for entity, rid in ids.items())}
    assert phone.holds() == _what_a_new_phone_gets(client, "somchai")


def test_a_real_deletion_has_no_reason(client, engine):
    with Session(engine, expire_on_commit=False) as s:
        area = make_area(s)
    household = area.households[1]
    phone = Phone(client, "somchai")
    phone.sync()
    push_ok(client, sign_in(client, "somchai", "other"),
            [op("household", household.id, action="delete", base_seq=household.seq)])

    (change,) = phone.sync()

    assert change["id"] == household.id and change["deleted"] is True and "reason" not in change


def test_a_new_phone_hears_nothing_of_earlier_departures(client, engine):
    area, household, _ids = _household_with_dependents(client, engine)
    _move(client, engine, household.id, area.villages[2].id)
    phone = Phone(client, "somchai")
    changes = phone.sync(limit=2)
    assert changes and not any("reason" in c for c in changes)
    assert ("household", household.id) not in phone.records


# --- an area made smaller --------------------------------------------------------------------------

def _second_village(client, engine, area):
    """A household with a survey in the officer's other village (villages[1])."""
    with Session(engine, expire_on_commit=False) as s:
        household = make_household(s, village_id=area.villages[1].id)
    survey = new_id()
    push_ok(client, sign_in(client, "somchai", "capture 2"),
            [op("survey", survey, {"household_id": household.id, "kind": "baseline", "annual_income": 1,
                                    "surveyed_on": thai_today().isoformat()})])
    return household, survey


def test_an_area_made_smaller_drops_the_records_of_the_lost_village(client, engine):
    area, _household, _ids = _household_with_dependents(client, engine)
    lost_household, lost_survey = _second_village(client, engine, area)
    phone = Phone(client, "somchai")
    phone.sync(limit=3)
    assert ("survey", lost_survey) in phone.records

    _set_area(engine, "somchai", villages=[area.villages[0].id])
    changes = phone.sync(limit=3)

    left = {(c["entity"], c["id"]) for c in changes if c.get("reason") == OUT}
    assert left == {("village", area.villages[1].id), ("household", lost_household.id), ("survey", lost_survey)}
    assert all(c["fields"] == {} and c["deleted"] is True for c in changes if c.get("reason") == OUT)
    assert phone.holds() == _what_a_new_phone_gets(client, "somchai")
    assert phone.sync() == []
    with Session(engine) as s:
        assert not s.get(Household, lost_household.id).deleted and not s.get(Survey, lost_survey).deleted


def test_an_area_changed_twice_before_the_phone_caught_up(client, engine):
    area, _household, _ids = _household_with_dependents(client, engine)
    lost_household, lost_survey = _second_village(client, engine, area)
    _set_area(engine, "somchai", villages=[v.id for v in area.villages[:3]])
    phone = Phone(client, "somchai")
    phone.sync(limit=4)
    assert ("household", area.other_household.id) in phone.records  # villages[2]

    _set_area(engine, "somchai", villages=[v.id for v in area.villages[:2]])
    first = client.get("/api/sync/pull", params={"cursor": phone.cursor, "limit": 2}, headers=phone.headers).json()
    assert first["has_more"]
    phone.cursor = first["cursor"]
    for change in first["changes"]:
        if change.get("reason") == OUT:
            phone.records.pop((change["entity"], change["id"]), None)
    _set_area(engine, "somchai", villages=[area.villages[0].id])
    phone.sync(limit=2)

    assert phone.holds() == _what_a_new_phone_gets(client, "somchai")
    assert not {("household", lost_household.id), ("survey", lost_survey),
                ("household", area.other_household.id)} & set(phone.records)


def test_an_administrator_made_an_officer_keeps_only_the_new_area(client, engine):
    with Session(engine, expire_on_commit=False) as s:
        area = make_area(s)
    phone = Phone(client, "root")
    phone.sync()
    assert ("household", area.other_household.id) in phone.records

    _set_area(engine, "root", subdistricts=["341401"])
    phone.sync(limit=5)

    assert phone.holds() == _what_a_new_phone_gets(client, "root")
    assert ("household", area.other_household.id) not in phone.records


def test_an_area_made_larger_sends_the_new_village_and_nothing_leaves_twice(client, engine):
    area, household, _ids = _household_with_dependents(client, engine)
    phone = Phone(client, "somchai")
    phone.sync()
    _move(client, engine, household.id, area.villages[3].id)
    assert phone.sync() and len(phone.left) == 4
    _set_area(engine, "somchai", subdistricts=["341401"], villages=[area.villages[2].id])

    changes = phone.sync()

    assert not any("reason" in c for c in changes)  # its departure was told before the area grew
    assert ("household", area.other_household.id) in phone.records
    assert phone.holds() == _what_a_new_phone_gets(client, "somchai")


# --- several server processes ----------------------------------------------------------------------

def test_moves_through_two_servers_never_slip_behind_the_old_area_phones_cursor(db_url, engine):
    """Households moved out of and back into an officer's area through two server processes while
    the officer's phone pulls from both: every move answered before a pull began and at or below its
    cursor has reached the phone, each departure at most once, and the phone ends with exactly its area."""
    import threading
    import time

    import httpx

    from tests.sync.helpers import cursor_seq
    from tests.support.servers import start_server, stop_server

    with Session(engine, expire_on_commit=False) as s:
        area = make_area(s, households=10)
    homes = [h.id for h in area.households]
    inside, within, outside = area.villages[0].id, area.villages[1].id, area.villages[2].id
    servers = [start_server(db_url) for _ in range(2)]
    try:
        urls = [url for _, url in servers]

        def token(url: str, username: str) -> dict[str, str]:
            response = httpx.post(f"{url}/api/auth/token", timeout=30,
                                  json={"username": username, "password": "pw-test-1234", "device_name": "p"})
            assert response.status_code == 201, response.text
            return {"Authorization": f"Bearer {response.json()['token']}"}

        somchai, root = token(urls[0], "somchai"), token(urls[1], "root")
        attendance = [op("attendance", None, {"session_id": area.sessions[0].id, "household_id": h, "present": True})
                      for h in homes]
        assert httpx.post(f"{urls[0]}/api/sync/push", json={"schema": 1, "ops": attendance}, headers=somchai,
                          timeout=30).status_code == 200

        moved: list[tuple[float, str, int, str]] = []  # (answer received, household id, seq, village)
        sent: dict[str, list[float]] = {h: [] for h in homes}  # when each move of a household was sent
        lock = threading.Lock()
        errors: list[str] = []

        def move_loop(mine: list[str]) -> None:
            places = {h: inside for h in mine}
            with Session(engine) as s:
                seqs = {h: s.get(Household, h).seq for h in mine}
            with httpx.Client(timeout=60) as http:
                for round_ in range(8):
                    for n, household_id in enumerate(mine):
                        if (n + round_) % 3 == 0:
                            continue
                        target = {inside: outside, outside: within if n % 2 else inside, within: outside}[places[household_id]]
                        body = {"schema": 1, "ops": [op("household", household_id, {"village_id": target},
                                                        base_seq=seqs[household_id])]}
                        with lock:
                            sent[household_id].append(time.monotonic())
                        response = http.post(f"{urls[(n + round_) % 2]}/api/sync/push", json=body, headers=root)
                        received = time.monotonic()
                        if response.status_code != 200:
                            errors.append(response.text)
                            continue
                        (result,) = response.json()["results"]
                        if result["status"] != "applied":
                            errors.append(str(result))
                            continue
                        places[household_id], seqs[household_id] = target, result["seq"]
                        with lock:
                            moved.append((received, household_id, result["seq"], target))

        seen: dict[tuple[str, str], int] = {}
        held: dict[tuple[str, str], int] = {}
        ever_held: set[str] = set()
        told: list[tuple[str, str, int]] = []
        pulls = 0

        def pull_until_caught_up(http: httpx.Client, cursor: str | None) -> str | None:
            nonlocal pulls
            while True:
                started = time.monotonic()
                response = http.get(f"{urls[pulls % 2]}/api/sync/pull", headers=somchai,
                                    params={"limit": 7, **({"cursor": cursor} if cursor else {})})
                answered = time.monotonic()
                pulls += 1
                assert response.status_code == 200, response.text
                page = response.json()
                for change in page["changes"]:
                    key = (change["entity"], change["id"])
                    assert change["seq"] >= seen.get(key, -1)
                    seen[key] = change["seq"]
                    if change.get("reason") == OUT:
                        told.append((*key, change["seq"]))
                        held.pop(key, None)
                    elif key[0] != "occupation":
                        held[key] = change["seq"]
                        ever_held.add(change["id"])
                cursor = page["cursor"]
                position = cursor_seq(cursor)
                with lock:
                    settled = [m for m in moved if m[0] < started and m[2] <= position]
                    again = {h: list(times) for h, times in sent.items()}
                # A household moved into the area, or out of it once the phone had it, has reached it;
                # unless it was moved again before this page was read (its next move, past the page's
                # cursor, then supersedes this one in the feed and comes in its turn).
                for received, household_id, seq, target in settled:
                    if any(received < moment < answered for moment in again[household_id]):
                        continue
                    if target != outside or household_id in ever_held:
                        assert seen.get(("household", household_id), -1) >= seq, (household_id, seq, position)
                if not page["has_more"]:
                    return cursor

        # Two movers, each through both servers: their pushes commit concurrently.
        movers = [threading.Thread(target=move_loop, args=(homes[n::2],)) for n in range(2)]
        for mover in movers:
            mover.start()
        cursor = None
        with httpx.Client(timeout=60) as http:
            deadline = time.monotonic() + 120
            while any(m.is_alive() for m in movers) and time.monotonic() < deadline:
                cursor = pull_until_caught_up(http, cursor)
            for mover in movers:
                mover.join(timeout=60)
            cursor = pull_until_caught_up(http, cursor)
        with httpx.Client(base_url=urls[0], timeout=60) as http:
            everything, _ = pull_all(http, token(urls[0], "somchai"))
        assert not errors, errors[:3]
        assert pulls > 5 and len(moved) > 40

        assert len(told) == len(set(told))  # each departure once
        assert told  # the phone was told about households (and their attendance) leaving
        assert held == {(c["entity"], c["id"]): c["seq"] for c in everything if c["entity"] != "occupation"}
    finally:
        for process, _ in servers:
            stop_server(process)
