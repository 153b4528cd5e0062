"""Fuzzing the phone API from its own OpenAPI schema: whatever arrives, the answer is never a 5xx."""
from hypothesis import HealthCheck, given, settings
import schemathesis
from sqlmodel import Session

from tests.sync.helpers import make_area, sign_in

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
