"""Property: whatever order pushes from several phones arrive in, nothing pushed is unaccounted for.

Phones edit households and take attendance offline, push in batches (sometimes resent, sometimes
split and delivered out of order) and pull now and then. Afterwards every pushed value is stored,
or held in an open conflict, or was answered rejected; no change ever replaced a value its device
had not seen (unless the same device made both); and the same arrival order gives the same state.
"""
from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings, strategies as st
from sqlmodel import Session, select

from server.core.db import make_engine
from server.models import Attendance, AuditEntry, Conflict, Household, SyncOp
from server.synced.specs import REGISTRY
from sync.push import Actor, Op, apply_push
from tests.support.databases import copy_sqlite
from tests.support.factories import make_geography, make_household
from tests.sync.helpers import make_training

DEVICES = ("phone-a", "phone-b", "phone-c")
HOUSEHOLD_VALUES = {"note": ["", "ก", "ข", "ค"], "members": [1, 2, 3, 0], "phone": ["0811111111", "0822222222", "bad"]}
ATTENDANCE_VALUES = {"present": [True, False], "note": ["สาย", "ป่วย"]}

edit = st.one_of(
    st.tuples(st.just("household"), st.integers(0, 1), st.sampled_from(sorted(HOUSEHOLD_VALUES)),
              st.integers(0, 3)),
    st.tuples(st.just("delete"), st.integers(0, 1), st.just(""), st.just(0)),
    st.tuples(st.just("attendance"), st.integers(0, 3), st.sampled_from(sorted(ATTENDANCE_VALUES)),
              st.integers(0, 1)),
)
# One step: a phone records some edits offline, then (maybe) pushes its outbox and (maybe) pulls.
step = st.tuples(
    st.sampled_from(DEVICES),
    st.lists(edit, min_size=1, max_size=4),
    # keep offline; push whole; split in two that arrive in reverse order; answer lost, batch resent
    st.sampled_from(["offline", "whole", "reversed", "resent"]),
    st.booleans(),  # pull afterwards
)


class World:
    """One fresh database with two households and a two-session training, and the phones' state."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        with Session(self.engine, expire_on_commit=False) as s:
            geo = make_geography(s)
            village = geo["villages"][0]
            self.area = {v.id for v in geo["villages"][:2]}
            _, sessions = make_training(s, village_id=village.id)
            self.households = [make_household(s, village_id=village.id, note=None, phone=None)
                               for _ in range(2)]
        self.sessions = [sessions[0].id, sessions[1].id]
        # Attendance pairs (session, household); each phone makes its own id for a pair.
        self.pairs = [(sv, h.id) for sv in self.sessions for h in self.households]
        self.known: dict[str, dict[str, int]] = {d: {h.id: h.seq for h in self.households} for d in DEVICES}
        self.outbox: dict[str, list[dict[str, Any]]] = {d: [] for d in DEVICES}
        self.answers: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (op, answer) in arrival order
        self.counter = 0

    def _id(self, *parts: Any) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts))))

    def edit(self, device: str, edits: list[tuple]) -> None:
        for kind, target, field, choice in edits:
            self.counter += 1
            op_id = self._id("op", self.counter)
            if kind == "household":
                record = self.households[target].id
                values = HOUSEHOLD_VALUES[field]
                op = {"entity": "household", "id": record, "action": "upsert",
                      "base_seq": self.known[device].get(record), "fields": {field: values[choice % len(values)]}}
            elif kind == "delete":
                record = self.households[target].id
                op = {"entity": "household", "id": record, "action": "delete",
                      "base_seq": self.known[device].get(record), "fields": {}}
            else:
                session_id, household_id = self.pairs[target]
                values = ATTENDANCE_VALUES[field]
                record = self._id(device, session_id, household_id)
                op = {"entity": "attendance", "id": record, "action": "upsert",
                      "base_seq": self.known[device].get(record),
                      "fields": {"session_id": session_id, "household_id": household_id,
                                 field: values[choice % len(values)]}}
            op.update(op_id=op_id, captured_at="2026-11-24T09:15:00+07:00")
            self.outbox[device].append(op)

    def push(self, device: str, ops: list[dict[str, Any]]) -> None:
        if not ops:
            return
        with Session(self.engine) as s:
            outcome = apply_push(s, REGISTRY, Actor(user_id=1, device_id=device, area=self.area),
                                 [Op(**op) for op in ops], now=dt.datetime(2026, 11, 24, 2, 15, tzinfo=dt.timezone.utc))
            s.commit()
        self.answers += list(zip(ops, outcome.results))

    def send(self, device: str, mode: str) -> None:
        batch, self.outbox[device] = self.outbox[device], []
        if mode == "reversed" and len(batch) > 1:
            half = len(batch) // 2
            self.push(device, batch[half:])
            self.push(device, batch[:half])
        else:
            self.push(device, batch)
            if mode == "resent":
                self.push(device, batch + self.outbox[device])

    def pull(self, device: str) -> None:
        with Session(self.engine) as s:
            for model in (Household, Attendance):
                for record_id, seq in s.execute(select(model.id, model.seq)):
                    self.known[device][record_id] = seq
        # A phone adopts the canonical id the server answered for its natural-key merges.
        for op, answer in self.answers:
            if answer.get("id") and answer["id"] != op["id"]:
                self.known[device].pop(op["id"], None)

    def run(self, steps: list[tuple]) -> None:
        for device, edits, mode, pull in steps:
            self.edit(device, edits)
            if mode != "offline":
                self.send(device, mode)
            if pull:
                self.pull(device)
        for device in DEVICES:  # everything still in an outbox is finally sent
            self.send(device, "whole")

    def state(self) -> dict[str, Any]:
        with Session(self.engine) as s:
            households = {h.id: (h.seq, h.deleted, h.note, h.members, h.phone) for h in s.exec(select(Household))}
            attendance = {(a.session_id, a.household_id): (a.id, a.seq, a.present, a.note)
                          for a in s.exec(select(Attendance))}
            conflicts = sorted((c.entity, c.record_id, c.field, repr(c.kept), repr(c.other), c.other_op_id, c.status)
                               for c in s.exec(select(Conflict)))
            audit = [(a.action, a.entity, a.record_id, a.device_id, a.detail) for a in
                     s.exec(select(AuditEntry).where(AuditEntry.action.in_(["create", "update", "delete"]))
                            .order_by(AuditEntry.id))]
            ops = {o.op_id: o.result for o in s.exec(select(SyncOp))}
        return {"households": households, "attendance": attendance, "conflicts": conflicts,
                "audit": audit, "ops": ops}

    def dispose(self) -> None:
        self.engine.dispose()


def _strip(answer: dict[str, Any]) -> dict[str, Any]:
    answer = dict(answer)
    if "conflicts" in answer:
        answer["conflicts"] = [{k: v for k, v in c.items() if k != "conflict_id"} for c in answer["conflicts"]]
    return answer


def check_nothing_unaccounted(world: World, state: dict[str, Any]) -> None:
    first_answer: dict[str, dict[str, Any]] = {}
    for op, answer in world.answers:
        assert answer["op_id"] == op["op_id"]
        if op["op_id"] in first_answer:
            assert answer["status"] == "duplicate"
            first = first_answer[op["op_id"]]
            assert answer["first_status"] == first["status"]
            assert {k: v for k, v in answer.items() if k not in ("status", "first_status")} == \
                   {k: v for k, v in first.items() if k != "status"}
        else:
            assert answer["status"] in ("applied", "conflict", "rejected"), answer
            first_answer[op["op_id"]] = answer
    assert set(state["ops"]) == set(first_answer)

    audit_by_op: dict[str, dict[str, Any]] = {}
    for action, entity, record_id, device, detail in state["audit"]:
        audit_by_op[detail["op_id"]] = {"action": action, "record_id": record_id, "device": device, **detail}
    conflicts = {(c[5], c[2]) for c in state["conflicts"]}  # (op_id, field)
    ops = {op["op_id"]: op for op, _ in world.answers}

    # 1. Every pushed value is stored (changed or already equal), held in a conflict, or rejected.
    for op_id, answer in first_answer.items():
        op = ops[op_id]
        if answer["status"] == "rejected":
            assert answer["errors"]
            continue
        held = {c["field"] for c in answer.get("conflicts", [])}
        assert all((op_id, f) in conflicts for f in held)
        if op["action"] == "delete":
            assert held == {"_deleted"} or answer["status"] == "applied"
            continue
        entry = audit_by_op.get(op_id)
        if entry is None:  # nothing to change: every value was already stored
            assert answer["status"] == "applied" and not held
            continue
        changed, unchanged = set(entry.get("changed", [])), set(entry.get("unchanged", []))
        for name in op["fields"]:
            assert name in changed | unchanged | held, (op, answer, entry)

    # 2. No change replaced a value that its device had not seen (unless the same device wrote both).
    history: dict[tuple[str, str], list[tuple[int, str | None, int | None, Any]]] = {}
    for h in world.households:
        for name in HOUSEHOLD_VALUES:
            history[(h.id, name)] = [(h.seq, None, None, getattr(h, name))]
    for action, entity, record_id, device, detail in state["audit"]:
        op = ops[detail["op_id"]]
        for name in detail.get("changed", []):
            history.setdefault((record_id, name), []).append(
                (detail["seq"], device, detail.get("base_seq"), op["fields"][name]))
    for (record_id, name), writes in history.items():
        writes.sort(key=lambda w: w[0])
        for before, after in zip(writes, writes[1:]):
            same_device = before[1] is not None and before[1] == after[1]
            assert same_device or (after[2] or 0) >= before[0] or before[3] == after[3], (record_id, name, writes)

    # 3. What is stored is the last write of every field.
    for record_id, (seq, deleted, note, members, phone) in state["households"].items():
        stored = {"note": note, "members": members, "phone": phone}
        for name, value in stored.items():
            assert history[(record_id, name)][-1][3] == value
    for (session_id, household_id), (record_id, seq, present, note) in state["attendance"].items():
        for name, value in (("present", present), ("note", note)):
            if (record_id, name) in history:
                assert history[(record_id, name)][-1][3] == value


def _fresh_url(template: str, pg_databases, tmp_path: Path, made: list) -> str:
    if pg_databases is None:
        return copy_sqlite(Path(template), tmp_path / f"{uuid.uuid4().hex}.db")
    name = pg_databases.create("prop", template=template)
    made.append(name)
    return pg_databases.url_for(name)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=2, max_size=10))
def test_nothing_pushed_is_unaccounted_and_order_decides_the_outcome(steps, _migrated_template, pg_databases,
                                                                     tmp_path):
    made: list[str] = []
    try:
        finals = []
        for _ in range(2):
            world = World(_fresh_url(_migrated_template, pg_databases, tmp_path, made))
            try:
                world.run(steps)
                state = world.state()
                check_nothing_unaccounted(world, state)
                # Ids of households and seqs are fresh per database: compare what they mean.
                order = {h.id: i for i, h in enumerate(world.households)}
                finals.append({
                    "answers": [(op["op_id"], _strip(answer)) for op, answer in world.answers],
                    "households": sorted((order[k], v[1:]) for k, v in state["households"].items()),
                    "attendance": sorted((world.sessions.index(k[0]), order[k[1]], v[0], v[2:])
                                         for k, v in state["attendance"].items()),
                    "conflicts": [(c[0], c[2], c[3], c[4], c[5], c[6]) for c in state["conflicts"]],
                })
            finally:
                world.dispose()
        first, second = finals
        for status in sorted({a["status"] for _, a in first["answers"]}):
            event(f"answered {status}")
        # Seqs differ only by the setup's offset; statuses, values and conflicts must match.
        assert [(o, a["status"], a.get("conflicts"), a.get("errors")) for o, a in first["answers"]] == \
               [(o, a["status"], a.get("conflicts"), a.get("errors")) for o, a in second["answers"]]
        assert first["households"] == second["households"]
        assert [a[:2] + a[3][1:] for a in first["attendance"]] == [a[:2] + a[3][1:] for a in second["attendance"]]
        assert sorted(first["conflicts"], key=repr) == sorted(second["conflicts"], key=repr)
    finally:
        for name in made:
            pg_databases.drop(name)
