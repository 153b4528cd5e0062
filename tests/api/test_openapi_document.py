"""The OpenAPI document says what the API really answers: every error as {"error", "message", ...}, every
status it sends (400 invalid_cursor on pull too); /schema is a page of the app's own, no CDN needed."""
import re

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import response_schema_conformance, status_code_conformance
from sqlmodel import Session

from tests.sync.helpers import make_area, sign_in

OPERATION_IDS = {"createDeviceToken", "revokeDeviceToken", "renameDevice", "syncPush", "syncPull", "listDevices",
                 "revokeDevice"}


def resolve(doc, schema):
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_every_error_answer_is_described_in_the_shape_the_api_sends(client):
    doc = client.get("/schema/openapi.json").json()
    operations = {op["operationId"]: op for path in doc["paths"].values() for op in path.values()}
    assert set(operations) == OPERATION_IDS
    for operation_id, operation in operations.items():
        for status, answer in operation["responses"].items():
            if int(status) < 400:
                continue
            schema = resolve(doc, answer["content"]["application/json"]["schema"])
            assert {"error", "message"} <= set(schema["properties"]), (operation_id, status)
            assert not {"detail", "status_code"} & set(schema["properties"]), (operation_id, status)
        assert "400" in operation["responses"], operation_id
    assert "invalid_cursor" in operations["syncPull"]["responses"]["400"]["description"]


def test_a_cursor_the_server_did_not_make_is_answered_as_documented(client, engine):
    with Session(engine) as db:
        make_area(db)
    headers = sign_in(client, "somchai")
    response = client.get("/api/sync/pull", params={"cursor": "made-up"}, headers=headers)
    assert response.status_code == 400 and response.json()["error"] == "invalid_cursor"
    doc = client.get("/schema/openapi.json").json()
    schema = resolve(doc, doc["paths"]["/api/sync/pull"]["get"]["responses"]["400"]["content"]["application/json"]["schema"])
    assert set(schema["required"]) <= set(response.json()) <= set(schema["properties"])


def test_generated_requests_get_answers_the_document_describes(app, client, engine):
    with Session(engine) as db:
        make_area(db)
    headers = sign_in(client, "somchai")
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) == ("DELETE", "/api/auth/token"):
            continue  # signing the generator's own device out would only check the 401 answer

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def answered_as_documented(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=[status_code_conformance, response_schema_conformance])

        answered_as_documented()
        checked.append(operation.path)
    assert "/api/sync/pull" in checked and "/api/auth/token" in checked


def test_the_schema_page_needs_nothing_from_another_site(client):
    page = client.get("/schema")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert not re.search(r'(src|href)="(https?:)?//', page.text)
    assert 'href="/schema/openapi.json"' in page.text
    for operation_id in OPERATION_IDS:
        assert operation_id in page.text
    assert client.get("/schema/openapi.json").json()["openapi"].startswith("3.")
