"""JSON bodies read before they are parsed: a size limit, and a nesting depth checked on the raw bytes.

A parser that recurses (msgspec does) meets JSON nested 100,000 levels deep with a RecursionError:
a 500 and a traceback in the log for anyone who sends one, the sign-in being open to all. So the
depth is counted first, by a scan that never recurses.
"""
from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar.types import ASGIApp, Receive, Scope, Send

MAX_JSON_DEPTH = 32  # a push nests 5 or 6 levels; a sign-in 1
SMALL_BODY_BYTES = 16 * 1024

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = frozenset(b"[{")


def json_too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the JSON text nests arrays and objects deeper than `limit`: a scan of the raw bytes
    (strings taken out, then only brackets counted) that stops as soon as it knows."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        if byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
            if depth < 0:
                return False  # not JSON: the parser says so, cheaply
    return False


def too_deep_body() -> dict[str, Any]:
    return {"error": "invalid_request", "message": f"JSON nested deeper than {MAX_JSON_DEPTH} levels"}


async def answer(send: Send, status: int, body: dict[str, Any],
                 headers: dict[str, str] | None = None) -> None:
    payload = msgspec.json.encode(body)
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()), *extra]})
    await send({"type": "http.response.body", "body": payload})


TOO_LARGE = b"\0too large"  # a marker, compared by identity


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body; `TOO_LARGE` as soon as it passes `limit`; None if the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return TOO_LARGE
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the handler the body already read, then whatever the client sends next."""
    delivered = False

    async def replay() -> Any:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay  # type: ignore[return-value]


def small_json_body_middleware(app: ASGIApp) -> ASGIApp:
    """For a route that takes a small JSON body from anyone (the sign-in): `SMALL_BODY_BYTES` at most
    and no deep nesting, refused before the body is parsed."""
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        body = await read_body(receive, SMALL_BODY_BYTES)
        if body is None:
            return
        if body is TOO_LARGE:
            await answer(send, 413, {"error": "too_large", "message": f"At most {SMALL_BODY_BYTES} bytes"})
            return
        if json_too_deep(body):
            await answer(send, 400, too_deep_body())
            return
        await app(scope, replay_body(body, receive), send)

    return middleware
