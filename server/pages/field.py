"""The phone's pages: the installable app's shells, its service worker and its manifest.

Field pages are shells without personal data: the HTML of `/field/sessions/{id}` is the same for
every id, and the page's script reads the records kept on the phone (IndexedDB) and renders them.
The service worker keeps one copy of each shell per language and answers every `/field/...` URL
from it, so a prepared village's pages open with no network.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import Router, MediaType, Request, Response, get
from sqlmodel import Session

from server.web.guards import public
from server.config.values import follow_up_months
from server.core.i18n import LOCALES, current_locale, pick_locale
from server.models.program import SURVEY_KINDS
from server.web.static_urls import static_url
from server.core.settings import LOCALE_DIR, PACKAGE_DIR, STATIC_DIR, TEMPLATES_DIR

PWA_DIR = STATIC_DIR
VERSION_ENV = "SAMMACHIP_APP_VERSION"

# Each shell, the template that renders it, and the URL the service worker caches it under
# (every URL of that pattern is answered with it).
SHELLS: dict[str, tuple[str, str]] = {
    "home": ("field_home.html", "/field"),
    "prepare": ("field_prepare.html", "/field/prepare"),
    "session": ("field_session.html", "/field/sessions/_"),
    "household": ("field_household.html", "/field/households/_"),
    "survey": ("field_survey.html", "/field/households/_/surveys/_"),
    "new_household": ("field_household_form.html", "/field/villages/_/households/new"),
    "outbox": ("field_outbox.html", "/field/outbox"),
    "offline": ("field_offline.html", "/offline"),
}

# The static files of the app shell, precached by the service worker.
# (What the field pages load, and only that: they render from the phone's records with their own modules,
# not with htmx or the office's app.js, which office pages fetch when online.)
STATIC_FILES = ("app.css", "field.css", "icon.svg", "icon-192.png", "icon-512.png")


def _versioned_files() -> list[Path]:
    """Everything a phone runs offline: a change to any of them is a new version of the app."""
    files = [p for p in PWA_DIR.rglob("*") if p.is_file()]
    files += sorted(TEMPLATES_DIR.glob("field*.html")) + sorted(TEMPLATES_DIR.glob("_field_*.html"))
    files += sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
    return sorted(set(files))


@lru_cache(maxsize=4)
def _files_digest() -> str:
    digest = hashlib.sha256()
    for path in _versioned_files():
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def app_version() -> str:
    """The version of the phone app: a hash of its files, plus SAMMACHIP_APP_VERSION if set."""
    extra = os.environ.get(VERSION_ENV, "").strip()
    return f"{_files_digest()}-{extra}" if extra else _files_digest()


def js_modules() -> list[str]:
    return sorted("/static/" + str(p.relative_to(PWA_DIR)) for p in (PWA_DIR / "js").glob("*.js"))


def precache_urls() -> list[str]:
    """What the worker caches, under the very URLs the pages ask for: the shell's files and each page's
    script by their versioned URL (`static_url`, as the templates write them), and the modules those
    scripts import by their plain URL (an import names no version); each file once."""
    pages = [f"js/field-{name.replace('_', '-')}.js" for name in SHELLS]
    entries = [static_url(page) for page in pages]
    # Each file once: a page's script only by its versioned URL (no module imports another page's).
    modules = [url for url in js_modules() if url.removeprefix("/static/") not in pages]
    urls = [static_url(name) for name in STATIC_FILES] + entries + modules + ["/manifest.webmanifest"]
    urls += [f"{url}?lang={code}" for _template, url in SHELLS.values() for code in LOCALES]
    return urls


def _shell(request: Request, db: Session, name: str) -> Response:
    """Render a shell in the language asked by `?lang=` (the worker caches each), else the cookie's."""
    asked = request.query_params.get("lang")
    if asked in LOCALES:
        current_locale.set(pick_locale(asked))
    template_name, _url = SHELLS[name]
    months = [m for m in follow_up_months(db) if f"follow_up_{m}m" in SURVEY_KINDS]
    db.rollback()
    template = request.app.template_engine.get_template(template_name)
    # Rendered here, in the handler's own context, so that `?lang=` decides the language.
    body = template.render(locale=current_locale.get(), page=name, app_version=app_version(),
                           follow_up_months=months, survey_kinds=SURVEY_KINDS)
    return Response(content=body, media_type=MediaType.HTML,
                    headers={"Cache-Control": "no-cache", "X-App-Version": app_version(),
                             "Vary": "Cookie"})


@get("/field", sync_to_thread=True)
def field_home(request: Request, db: Session) -> Response:
    return _shell(request, db, "home")


@get("/field/prepare", sync_to_thread=True)
def field_prepare(request: Request, db: Session) -> Response:
    return _shell(request, db, "prepare")


@get("/field/sessions/{session_id:str}", sync_to_thread=True)
def field_session(request: Request, db: Session, session_id: str) -> Response:
    return _shell(request, db, "session")


@get("/field/households/{household_id:str}", sync_to_thread=True)
def field_household(request: Request, db: Session, household_id: str) -> Response:
    return _shell(request, db, "household")


@get("/field/households/{household_id:str}/surveys/{kind:str}", sync_to_thread=True)
def field_survey(request: Request, db: Session, household_id: str, kind: str) -> Response:
    return _shell(request, db, "survey")


@get("/field/villages/{village_id:str}/households/new", sync_to_thread=True)
def field_new_household(request: Request, db: Session, village_id: str) -> Response:
    return _shell(request, db, "new_household")


@get("/field/outbox", sync_to_thread=True)
def field_outbox(request: Request, db: Session) -> Response:
    return _shell(request, db, "outbox")


@get("/offline", sync_to_thread=True)
def offline_page(request: Request, db: Session) -> Response:
    return _shell(request, db, "offline")


@get("/sw.js", sync_to_thread=True)
def service_worker() -> Response:
    """The worker's text carries the version and the file list, so any change makes a new worker."""
    source = (PWA_DIR / "sw.js").read_text(encoding="utf-8")
    config = json.dumps({"version": app_version(), "precache": precache_urls(),
                         "shells": {name: url for name, (_t, url) in SHELLS.items()},
                         "locales": list(LOCALES)})
    body = source.replace("self.__SAMMACHIP__", config, 1)
    return Response(content=body, media_type="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@get("/manifest.webmanifest", sync_to_thread=True)
def manifest() -> Response:
    data: dict[str, Any] = json.loads((PWA_DIR / "manifest.webmanifest").read_text(encoding="utf-8"))
    for icon in data.get("icons", []):
        icon["src"] = static_url(icon["src"])
    return Response(content=json.dumps(data, ensure_ascii=False), media_type="application/manifest+json",
                    headers={"Cache-Control": "no-cache"})


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[public], route_handlers=[field_home, field_prepare, field_session, field_household, field_survey, field_new_household, field_outbox, offline_page, service_worker, manifest]),
]
