"""Versioned static URLs: a file's URL carries a hash of its content, so it can be cached for a year and a
new release is fetched at once (its URL changes). Pages, the web manifest and the service worker's
precache list all make their static URLs here."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import parse_qs

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.settings import ROOT

STATIC_DIR = ROOT / "pwa"
STATIC_PREFIX = "/static/"
VERSION_PARAM = "v"
# A versioned URL never changes content; an unversioned one (a module imported by another) is checked
# with the server on every use, and answered "not modified" while it is the same.
LONG_LIVED = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


@lru_cache(maxsize=256)
def file_hash(name: str) -> str:
    """The first 10 hex digits of the SHA-256 of pwa/<name> (read once per process: a release restarts it)."""
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR.resolve()) or not path.is_file():
        raise FileNotFoundError(name)
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """`/static/<name>?v=<hash of the file>`, the URL every page and the service worker use for a file."""
    name = name.removeprefix(STATIC_PREFIX).lstrip("/")
    return f"{STATIC_PREFIX}{name}?{VERSION_PARAM}={file_hash(name)}"


def cache_control_for(path: str, query_string: bytes) -> str:
    """Long-lived caching only for a URL whose version matches the file it serves (an old or made-up
    version must not be kept for a year under that URL)."""
    version = parse_qs(query_string.decode("latin-1")).get(VERSION_PARAM, [None])[0]
    try:
        current = file_hash(path.removeprefix(STATIC_PREFIX))
    except (OSError, ValueError):
        return REVALIDATE
    return LONG_LIVED if version == current else REVALIDATE


def static_cache_middleware(app: ASGIApp) -> ASGIApp:
    """Middleware of the static files router: every answer gets the Cache-Control its URL deserves."""
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        value = cache_control_for(scope["path"], scope.get("query_string", b""))

        async def send_with_cache_control(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)["Cache-Control"] = value
            await send(message)

        await app(scope, receive, send_with_cache_control)

    return middleware
