"""A district office under load: signed-in browsers and phones against a real server at once.

Used by the load tests (tests/concurrency/) and by `bench/office_load.py`. `seed_district` fills a
migrated database with a district; `run_load` drives N concurrent clients, each a signed-in user
mixing office pages, valid and invalid form posts, phone pushes and pulls, while a probe keeps
asking `/healthz`; it returns every request's kind, status and time, and what was written.
"""
from __future__ import annotations

import datetime as dt
import itertools
import random
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlmodel import Session

from server.auth.passwords import hash_password
from server.config.reference_data import ensure_defaults
from server.core.dates import fiscal_year_be
from server.models import (
    District,
    Enrollment,
    Household,
    Province,
    Subdistrict,
    Training,
    TrainingSession,
    User,
    UserArea,
    Village,
)
from server.program.rules import default_session_kind
from sync.changes import stamp_change
from tests.support.factories import (
    DEFAULT_PASSWORD,
    HOUSEHOLD_FIELDS,
    VILLAGE_FIELDS,
    valid_citizen_id,
)

PAGES = ("/", "/households", "/sages", "/villages", "/trainings", "/teams")
KINDS = ("page", "post_valid", "post_invalid", "push", "pull")


@dataclass
class SeededDistrict:
    """What `seed_district` made: ids the clients need."""

    village_ids: list[str]
    sessions: list[tuple[str, list[str]]]  # (session id, enrolled household ids) per village's day 1
    usernames: list[str]


def seed_district(db: Session, *, villages: int = 12, households_per_village: int = 25,
                  officers: int = 4) -> SeededDistrict:
    """A district of `villages` villages (15 to a subdistrict), each with households, a training
    of 5 days and 20 enrolled households; one supervisor and `officers` officers of the district."""
    ensure_defaults(db)
    db.add(Province(code="34", name_th="อุบลราชธานี", name_en="Ubon Ratchathani"))
    db.flush()
    db.add(District(code="3414", province_code="34", name_th="ม่วงสามสิบ", name_en="Muang Sam Sip"))
    db.flush()
    subdistricts = [f"3414{n:02d}" for n in range(1, -(-villages // 15) + 1)]
    for code in subdistricts:
        db.add(Subdistrict(code=code, district_code="3414", name_th=f"ตำบลสมมุติ {code[4:]}",
                           name_en=f"Sample {code[4:]}"))
    db.flush()
    today = dt.date.today()
    fiscal_year = fiscal_year_be(today)
    cid = itertools.count(10_000)
    village_ids: list[str] = []
    sessions: list[tuple[str, list[str]]] = []
    for n in range(villages):
        code = f"{subdistricts[n // 15]}{n % 15 + 1:02d}"
        village = Village(code=code, subdistrict_code=code[:6], number=n % 15 + 1,
                          name=f"บ้านตัวอย่าง {n + 1}", participating=True)
        db.add(village)
        db.flush()
        stamp_change(db, village, entity="village", fields=VILLAGE_FIELDS, village_id=village.id, user_id=None)
        village_ids.append(village.id)
        households = []
        for h in range(households_per_village):
            household = Household(village_id=village.id, house_no=f"{h + 1}/{n % 7 + 1}",
                                  head_name=f"นางสมมุติ ตัวอย่าง{n}-{h}", citizen_id=valid_citizen_id(next(cid)),
                                  members=1 + h % 6, annual_income=20_000 + 3_000 * h, consent=True)
            db.add(household)
            db.flush()
            stamp_change(db, household, entity="household", fields=HOUSEHOLD_FIELDS,
                         village_id=village.id, user_id=None)
            households.append(household.id)
        training = Training(village_id=village.id, occupation="weaving", fiscal_year=fiscal_year)
        db.add(training)
        db.flush()
        stamp_change(db, training, entity="training", fields=("village_id", "occupation", "fiscal_year"),
                     village_id=village.id, user_id=None)
        day_ids = []
        for day in range(1, 6):
            session = TrainingSession(training_id=training.id, day=day, kind=default_session_kind(day),
                                      date=today - dt.timedelta(days=6 - day))
            db.add(session)
            db.flush()
            stamp_change(db, session, entity="session", fields=("training_id", "day", "kind", "date"),
                         village_id=village.id, user_id=None)
            day_ids.append(session.id)
        enrolled = households[:20]
        for household_id in enrolled:
            enrollment = Enrollment(training_id=training.id, household_id=household_id, occupation="weaving")
            db.add(enrollment)
            db.flush()
            stamp_change(db, enrollment, entity="enrollment", fields=("training_id", "household_id",
                                                                      "occupation", "status"),
                         village_id=village.id, user_id=None)
        sessions.append((day_ids[0], enrolled))
    password = hash_password(DEFAULT_PASSWORD)
    users = [User(username="supervisor", display_name="ผู้ทดสอบ หัวหน้า", role="supervisor",
                  district_code="3414", password_hash=password)]
    users += [User(username=f"officer{i}", display_name=f"ผู้ทดสอบ พัฒนากร{i}", role="officer",
                   district_code="3414", password_hash=password) for i in range(officers)]
    db.add_all(users)
    db.flush()
    for user in users[1:]:
        for code in subdistricts:
            db.add(UserArea(user_id=user.id, subdistrict_code=code))
    db.commit()
    return SeededDistrict(village_ids=village_ids, sessions=sessions, usernames=[u.username for u in users])


@dataclass
class Sample:
    kind: str
    status: int  # 0: no answer (timeout or connection error)
    seconds: float
    detail: str = ""


@dataclass
class LoadResult:
    samples: list[Sample] = field(default_factory=list)
    health: list[Sample] = field(default_factory=list)
    created_households: list[tuple[str, str]] = field(default_factory=list)  # (village id, house no)
    pushed_attendance: dict[tuple[str, str], bool] = field(default_factory=dict)  # (session, household) -> present
    seconds: float = 0.0

    def by_kind(self) -> dict[str, list[Sample]]:
        found: dict[str, list[Sample]] = {kind: [] for kind in KINDS}
        for sample in self.samples:
            found.setdefault(sample.kind, []).append(sample)
        return found

    def failures(self) -> list[Sample]:
        return [s for s in self.samples if s.status == 0 or s.status >= 500]


# A client must not reuse a connection the server may be closing: uvicorn closes one idle for 5 s,
# httpx keeps one for 5 s, and a request sent on it as it closes gets no answer (a user signed in
# first waits that long while the others sign in). Browsers retry such a request; httpx does not.
KEEP_ALIVE = httpx.Limits(keepalive_expiry=2.0)


def sign_in_browser(base_url: str, username: str, *, timeout: float,
                    verify: bool | ssl.SSLContext = True) -> httpx.Client:
    """An httpx client holding a signed-in browser session (the real form, with its CSRF cookie)."""
    client = httpx.Client(base_url=base_url, timeout=timeout, follow_redirects=False, verify=verify,
                          limits=KEEP_ALIVE)
    client.get("/login")
    response = client.post("/login", data={"username": username, "password": DEFAULT_PASSWORD,
                                           "_csrf_token": client.cookies["csrftoken"]})
    if response.status_code not in (302, 303):
        raise RuntimeError(f"sign-in of {username} answered {response.status_code}")
    return client


def device_token(base_url: str, username: str, *, timeout: float, verify: bool | ssl.SSLContext = True) -> str:
    response = httpx.post(f"{base_url}/api/auth/token", timeout=timeout, verify=verify,
                          json={"username": username, "password": DEFAULT_PASSWORD, "device_name": "load"})
    response.raise_for_status()
    return response.json()["token"]


class _Client:
    """One user at a desk (and their phone): picks a request kind at random and sends it."""

    def __init__(self, number: int, base_url: str, district: SeededDistrict, result: LoadResult,
                 lock: threading.Lock, timeout: float, weights: dict[str, int],
                 verify: bool | ssl.SSLContext = True) -> None:
        self.rng = random.Random(number)
        self.number = number
        self.district = district
        self.result = result
        self.lock = lock
        usernames = district.usernames
        self.username = usernames[1 + number % (len(usernames) - 1)] if number % 4 else usernames[0]
        self.browser = sign_in_browser(base_url, self.username, timeout=timeout, verify=verify)
        self.phone_token = device_token(base_url, usernames[1 + number % (len(usernames) - 1)], timeout=timeout,
                                        verify=verify)
        self.counter = itertools.count()
        self.kinds = [kind for kind, weight in weights.items() for _ in range(weight)]
        self.actions: dict[str, Callable[[], tuple[int, str]]] = {
            "page": self.page, "post_valid": self.post_valid, "post_invalid": self.post_invalid,
            "push": self.push, "pull": self.pull}

    def close(self) -> None:
        self.browser.close()

    def step(self) -> None:
        kind = self.rng.choice(self.kinds)
        started = time.perf_counter()
        try:
            status, detail = self.actions[kind]()
        except httpx.HTTPError as exc:
            status, detail = 0, repr(exc)
        sample = Sample(kind, status, time.perf_counter() - started, detail)
        with self.lock:
            self.result.samples.append(sample)

    def page(self) -> tuple[int, str]:
        path = self.rng.choice(PAGES)
        response = self.browser.get(path)
        return response.status_code, path

    def _form(self, **fields: Any) -> dict[str, Any]:
        return {"_csrf_token": self.browser.cookies["csrftoken"], **fields}

    def post_valid(self) -> tuple[int, str]:
        village = self.rng.choice(self.district.village_ids)
        house_no = f"{900 + self.number}/{next(self.counter)}"
        response = self.browser.post("/households", data=self._form(
            village_id=village, house_no=house_no, head_name=f"นายทดลอง โหลด{self.number}",
            members="3", annual_income="45000", consent="on"))
        if response.status_code in (302, 303):
            with self.lock:
                self.result.created_households.append((village, house_no))
        return response.status_code, "" if response.status_code < 400 else response.text[:200]

    def post_invalid(self) -> tuple[int, str]:
        response = self.browser.post("/households", data=self._form(
            village_id=self.rng.choice(self.district.village_ids), house_no="1", head_name="",
            citizen_id="1234567890123", members="0", annual_income="-5"))
        return response.status_code, ""

    def push(self) -> tuple[int, str]:
        session_id, households = self.rng.choice(self.district.sessions)
        chosen = self.rng.sample(households, 3)
        marks = {household: self.rng.random() < 0.8 for household in chosen}
        ops = [{"op_id": str(uuid.uuid4()), "entity": "attendance", "id": str(uuid.uuid4()), "action": "upsert",
                "base_seq": None, "captured_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "fields": {"session_id": session_id, "household_id": household, "present": present}}
               for household, present in marks.items()]
        response = self.browser.post("/api/sync/push", json={"schema": 1, "ops": ops},
                                     headers={"Authorization": f"Bearer {self.phone_token}"})
        if response.status_code == 200:
            with self.lock:
                for op, answer in zip(ops, response.json()["results"]):
                    if answer["status"] == "applied":  # conflicts keep the stored value
                        key = (op["fields"]["session_id"], op["fields"]["household_id"])
                        self.result.pushed_attendance[key] = op["fields"]["present"]
        return response.status_code, ""

    def pull(self) -> tuple[int, str]:
        response = self.browser.get("/api/sync/pull", params={"limit": 200},
                                    headers={"Authorization": f"Bearer {self.phone_token}"})
        return response.status_code, ""


def run_load(base_url: str, district: SeededDistrict, *, clients: int = 16, seconds: float = 8.0,
             timeout: float = 20.0, weights: dict[str, int] | None = None,
             verify: bool | ssl.SSLContext = True) -> LoadResult:
    """Drive `clients` concurrent users for `seconds`; a probe asks /healthz every 0.2 s meanwhile.
    `verify`: the TLS certificate (authority) to trust, for a server behind a proxy with its own."""
    weights = weights or {"page": 6, "post_valid": 2, "post_invalid": 2, "push": 2, "pull": 2}
    result = LoadResult()
    lock = threading.Lock()
    users = [_Client(n, base_url, district, result, lock, timeout, weights, verify) for n in range(clients)]
    stop = threading.Event()
    start = threading.Barrier(clients + 1)

    def work(user: _Client) -> None:
        start.wait()
        while not stop.is_set():
            user.step()

    def probe() -> None:
        with httpx.Client(base_url=base_url, timeout=timeout, verify=verify, limits=KEEP_ALIVE) as health:
            while not stop.is_set():
                began = time.perf_counter()
                try:
                    status = health.get("/healthz").status_code
                except httpx.HTTPError:
                    status = 0
                result.health.append(Sample("healthz", status, time.perf_counter() - began))
                stop.wait(0.2)

    threads = [threading.Thread(target=work, args=(user,), daemon=True) for user in users]
    threads.append(threading.Thread(target=probe, daemon=True))
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout + 5)
    result.seconds = time.perf_counter() - began
    for user in users:
        user.close()
    return result


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]
