"""Static files under versioned URLs: cached for a year, and a new file content is a new URL; the service
worker precaches the very URLs the pages ask for."""
import hashlib
import json
import re
from pathlib import Path

from sqlmodel import Session

from tests.foundation.helpers import sign_in
from tests.support.factories import make_user

PWA = Path(__file__).resolve().parents[2] / "pwa"
STATIC_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def version_of(name: str) -> str:
    return hashlib.sha256((PWA / name).read_bytes()).hexdigest()[:10]


def test_pages_name_static_files_by_a_hash_of_their_content_and_those_are_cached_for_a_year(client, engine):
    with Session(engine) as db:
        make_user(db, username="admin1", role="admin")
    sign_in(client, "admin1")
    page = client.get("/households").text
    urls = STATIC_URL.findall(page)
    assert f"/static/app.css?v={version_of('app.css')}" in urls
    assert f"/static/vendor/htmx-2.0.11.min.js?v={version_of('vendor/htmx-2.0.11.min.js')}" in urls
    for url in urls:
        assert "?v=" in url
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_an_unversioned_or_outdated_static_url_is_checked_with_the_server_each_time(client):
    plain = client.get("/static/js/store.js")
    assert plain.status_code == 200 and plain.headers["cache-control"] == "no-cache"
    outdated = client.get("/static/app.css?v=0000000000")
    assert outdated.status_code == 200 and outdated.headers["cache-control"] == "no-cache"


def test_the_service_worker_precaches_every_static_url_a_field_page_uses(client, engine):
    worker = client.get("/sw.js").text
    config = json.loads(re.search(r"const CONFIG = (\{.*?\});\n", worker).group(1))
    precache = set(config["precache"])
    assert f"/static/app.css?v={version_of('app.css')}" in precache
    for shell in ("/field?lang=th", "/field/prepare?lang=th", "/field/outbox?lang=en", "/offline?lang=th"):
        html = client.get(shell).text
        used = STATIC_URL.findall(html)
        assert used and set(used) <= precache, shell
    manifest = client.get("/manifest.webmanifest").json()
    assert {icon["src"] for icon in manifest["icons"]} <= precache


def test_a_file_the_browser_holds_is_revalidated_without_sending_it_again(client):
    first = client.get("/static/js/store.js")
    etag = first.headers["etag"]
    assert etag == f'"{version_of("js/store.js")}"'
    again = client.get("/static/js/store.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    changed = client.get("/static/js/store.js", headers={"If-None-Match": '"0000000000"'})
    assert changed.status_code == 200 and changed.content == first.content
