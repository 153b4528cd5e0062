"""Fuzzing the phone API from its own OpenAPI schema: whatever arrives, the answer is never a 5xx."""
from hypothesis import HealthCheck, given, settings
import schemathesis
from sqlmodel import Session

from tests.sync.helpers import make_area, sign_in
from server.program.rules import thai_today

EXAMPLES = 30


def test_api_answers_generated_requests_without_server_errors(app, client, engine):
    with Session(engine) as s:
        make_area(s)
    headers = sign_in(client, "somchai")
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    checked = []
    seen: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/") or (operation.method.upper(), operation.path) == ("DELETE", "/api/auth/token"):
            continue  # signing the fuzzer's own device out would only fuzz the 401 path

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def answers_without_server_error(case):
            response = case.call(headers=headers)
            seen.setdefault(f"{case.method.upper()} {operation.path}", set()).add(response.status_code)
            assert response.status_code < 500, (case.method, case.path, case.body, response.text)
            if response.status_code >= 400:
                assert "error" in response.json(), response.text

        answers_without_server_error()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert {"POST /api/sync/push", "GET /api/sync/pull", "POST /api/auth/token"} <= set(checked)
    # The generated requests got past the shape checks and the token into the handlers.
    assert 200 in seen["POST /api/sync/push"] and 200 in seen["GET /api/sync/pull"], seen


def test_openapi_schema_describes_the_phone_api(client):
    doc = client.get("/schema/openapi.json").json()
    operations = {op["operationId"] for path in doc["paths"].values() for op in path.values()}
    assert {"createDeviceToken", "revokeDeviceToken", "syncPush", "syncPull", "listDevices", "revokeDevice"} <= operations
    push = doc["paths"]["/api/sync/push"]["post"]
    assert "requestBody" in push and {"200", "401", "409", "413"} <= set(push["responses"])


# --- well-shaped ops with fuzzed field values ------------------------------------------------------

def _values(kind):
    """Values for a field of `kind`: good ones, and what a buggy phone or a hostile client might send."""
    from hypothesis import strategies as st

    odd_text = st.sampled_from(["", " ", "\x00", "²³", "๑๒๓", "١٢٣", "🙂" * 50, "x" * 5000, "null",
                                "\u202e\u200b", "2026-11-24", "-1", "1e400"])
    anything = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30), odd_text,
                         st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
    good = {
        "text": st.text(max_size=40),
        "int": st.integers(min_value=-5, max_value=200_000),
        "bool": st.booleans(),
        "date": st.dates().map(lambda d: d.isoformat()) | st.sampled_from(["2026-W48-2", "20261124", "2026-02-30"]),
        "list": st.lists(st.text(max_size=20), max_size=4),
        "ref": st.uuids().map(str),
    }[kind]
    return st.one_of(good, anything)


def test_fuzzed_field_values_are_answered_op_by_op_without_server_errors(client, engine):
    """Every entity's fields get values of every kind; each op is answered, none is a 5xx."""
    from hypothesis import strategies as st

    from server.synced.specs import REGISTRY
    from tests.sync.helpers import new_id

    with Session(engine, expire_on_commit=False) as s:
        area = make_area(s)
    phone = sign_in(client, "somchai")
    known = {"village_id": area.villages[0].id, "household_id": area.households[0].id,
             "training_id": area.training.id, "session_id": area.sessions[0].id}
    pushable = [spec for spec in REGISTRY.entities.values() if spec.pushable]

    valid = {"household": {"village_id": known["village_id"], "house_no": "1", "head_name": "นางทดสอบ"},
             "sage": {"village_id": known["village_id"], "name": "ปราชญ์ทดสอบ"},
             "enrollment": {"training_id": known["training_id"], "household_id": known["household_id"]},
             "attendance": {"session_id": known["session_id"], "household_id": known["household_id"], "present": True},
             "survey": {"household_id": known["household_id"], "kind": "baseline",
                        "surveyed_on": thai_today().isoformat(), "income_unknown": True},
             "review_task": {"record_entity": "household", "record_id": known["household_id"],
                             "status": "fixed", "fixed_note": "แก้ไขแล้ว"}}

    @st.composite
    def ops(draw):
        """A valid op of some entity with up to three of its fields given fuzzed values."""
        spec = draw(st.sampled_from(pushable))
        names = draw(st.lists(st.sampled_from(spec.fields), unique=True, max_size=3))
        fields = {**valid[spec.name], **{name: draw(_values(spec.kinds[name])) for name in names}}
        existing = area.households[0] if spec.name == "household" and draw(st.booleans()) else None
        return {"op_id": new_id(), "entity": spec.name, "id": existing.id if existing else new_id(),
                "action": "upsert", "base_seq": draw(st.one_of(st.none(), st.integers(-3, 10**6))),
                "captured_at": draw(st.one_of(st.none(), st.text(max_size=10),
                                              st.just("2026-11-24T09:15:00+07:00"))),
                "fields": fields}

    statuses: set[str] = set()

    @given(batch=st.lists(ops(), min_size=1, max_size=8))
    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def answers_every_op(batch):
        response = client.post("/api/sync/push", json={"schema": 1, "ops": batch}, headers=phone)
        assert response.status_code < 500, (batch, response.text)
        if response.status_code == 200:
            results = response.json()["results"]
            assert [r["op_id"] for r in results] == [o["op_id"] for o in batch]
            statuses.update(r["status"] for r in results)
        else:  # a shape the request schema refuses (e.g. a NUL in captured_at is fine, a 5 kB text is not)
            assert "error" in response.json()

    answers_every_op()
    assert {"applied", "rejected"} <= statuses, statuses
    # And what was stored pulls back cleanly.
    pulled = client.get("/api/sync/pull", params={"limit": 1000}, headers=phone)
    assert pulled.status_code == 200
