"""A bug answers a plain message (a page, or structured JSON for the API) and is logged once."""
import logging

from litestar import get


@get("/api/explode", sync_to_thread=False)
def _api_bug() -> str:
    raise RuntimeError("a bug")


@get("/explode", sync_to_thread=False)
def _page_bug() -> str:
    raise RuntimeError("a bug")


def test_bugs_are_answered_plainly_and_logged(app, client, caplog):
    app.register(_api_bug)
    app.register(_page_bug)
    with caplog.at_level(logging.ERROR, logger="sammachip"):
        api = client.get("/api/explode")
        page = client.get("/explode")
    assert api.status_code == 500 and api.json()["error"] == "server_error"
    assert page.status_code == 500 and "ยังไม่ได้บันทึกข้อมูลใด ๆ" in page.text and "RuntimeError" not in page.text
    assert [r.exc_info[0] for r in caplog.records if r.name == "sammachip"] == [RuntimeError, RuntimeError]


def test_expected_answers_are_not_logged_as_errors(client, caplog):
    with caplog.at_level(logging.ERROR):
        assert client.get("/villages", follow_redirects=False).status_code in (302, 303)
        assert client.get("/no-such-page").status_code == 404
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_api_schema_lists_the_phone_api_only(client):
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert set(paths) == {"/api/auth/token", "/api/auth/device", "/api/devices", "/api/devices/{device_id}",
                          "/api/sync/pull", "/api/sync/push"}
