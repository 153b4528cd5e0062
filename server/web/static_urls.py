"""Versioned static URLs: a file's URL carries a hash of its content, so it can be cached for a year and a
new release is fetched at once (its URL changes). Pages, the web manifest and the service worker's
precache list all make their static URLs here."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import parse_qs

from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.core.settings import STATIC_DIR

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
    current = _current_hash(path)
    return LONG_LIVED if current is not None and version == current else REVALIDATE


def _current_hash(path: str) -> str | None:
    try:
        return file_hash(path.removeprefix(STATIC_PREFIX))
    except (OSError, ValueError):
        return None


def static_cache_middleware(app: ASGIApp) -> ASGIApp:
    """Middleware of the static files router: every answer gets the Cache-Control its URL deserves and
    an ETag (the file's hash); a browser revalidating a file it holds gets 304, no body (the modules a
    script imports by their plain URL are revalidated on every page)."""
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        cache_control = cache_control_for(scope["path"], scope.get("query_string", b""))
        current = _current_hash(scope["path"])
        etag = f'"{current}"' if current is not None else None
        asked = Headers.from_scope(scope).get("if-none-match", "")
        if etag is not None and etag in (tag.strip().removeprefix("W/") for tag in asked.split(",")):
            await send({"type": "http.response.start", "status": 304,
                        "headers": [(b"etag", etag.encode()), (b"cache-control", cache_control.encode())]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cache_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers["Cache-Control"] = cache_control
                if etag is not None and message.get("status") == 200:
                    headers["ETag"] = etag
            await send(message)

        await app(scope, receive, send_with_cache_headers)

    return middleware
