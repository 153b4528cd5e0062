"""Reading a JSON body before the handler does: its size limit, gzip, its nesting depth and (for a push)
the contract version.

Applied as middleware on the push route, so the limit holds however the body arrives (chunked, gzip,
or a `Content-Length` that lies), and a gzip bomb is stopped at 5 MB of output. A client without a
valid token gets 401 whatever its body, and nobody anonymous can make the server buffer or inflate
5 MB: a body sent compressed, in chunks or declared over `READ_BEFORE_CHECK` bytes is read only after
the bearer token is checked. A phone's usual push (a few kilobytes, sent plain) is read first and its
caller identified in the handler's own thread, the trip to a thread a separate check makes saved; if
such a body has a fault, the token is checked before the fault is told. The sign-in body (anonymous
by nature) is read by `server.api.json_body.small_json_body_middleware`: a few kilobytes at most. Both
refuse JSON nested too deep before it is parsed (see that module).
"""
from __future__ import annotations

import zlib
from typing import Any

import msgspec
from anyio import to_thread
from litestar.types import ASGIApp, Receive, Scope, Send

from server.api.auth import bearer_token, check_request_token
from server.api.errors import ApiError
from server.api.json_body import TOO_LARGE, answer, json_too_deep, read_body, replay_body, too_deep_body
from server.api.schemas import PushRequest
from sync.push import MAX_BYTES, MAX_OPS, SUPPORTED_SCHEMAS

LIMITS = {"max_ops": MAX_OPS, "max_bytes": MAX_BYTES}
# A push read before its token is checked: sent plain with its length declared, and at most this long
# (a hundred ops; what an anonymous client can make the server read, like a sign-in's 16 KB).
READ_BEFORE_CHECK = 64 * 1024


class _SchemaOnly(msgspec.Struct):
    schema: Any = None


def too_large_body() -> dict[str, Any]:
    return {"error": "too_large", "limits": LIMITS,
            "message": f"At most {MAX_OPS} ops and {MAX_BYTES} bytes (after decompression) per push"}


def _gunzip(raw: bytes) -> bytes | None:
    """The decompressed body, or None when it would exceed the limit; ValueError if not gzip."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, MAX_BYTES + 1)
    except zlib.error as exc:
        raise ValueError(str(exc)) from None
    if len(out) > MAX_BYTES or inflater.unconsumed_tail:
        return None
    if not inflater.eof:
        raise ValueError("truncated gzip stream")
    return out


def _declared_length(headers: dict[bytes, bytes]) -> int | None:
    value = headers.get(b"content-length", b"").strip()
    return int(value) if value.isdigit() and len(value) < 16 else None


def push_body_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        given = {k.lower(): v for k, v in scope["headers"]}
        try:
            bearer_token(given.get(b"authorization", b"").decode("latin-1"))
        except ApiError as problem:
            await answer(send, problem.status, problem.body, problem.headers)
            return
        encoding = given.get(b"content-encoding", b"").strip().lower()
        declared = _declared_length(given)
        checked = not (encoding in (b"", b"identity") and declared is not None and declared <= READ_BEFORE_CHECK)
        if checked:
            problem = await to_thread.run_sync(check_request_token, scope)
            if problem is not None:
                await answer(send, problem.status, problem.body, problem.headers)
                return

        async def refuse(status: int, body: dict[str, Any]) -> None:
            """A fault of the body, told only to a caller with a valid token (401 for anyone else)."""
            if not checked:
                problem = await to_thread.run_sync(check_request_token, scope)
                if problem is not None:
                    await answer(send, problem.status, problem.body, problem.headers)
                    return
            await answer(send, status, body)

        body = await read_body(receive, MAX_BYTES if checked else READ_BEFORE_CHECK)  # however the body is framed
        if body is None:
            return
        if body is TOO_LARGE:
            await refuse(413, too_large_body())
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"content-encoding", b"content-length")]
        if encoding == b"gzip":
            try:
                inflated = _gunzip(body)
            except ValueError:
                await refuse(400, {"error": "bad_request", "message": "The body is not valid gzip"})
                return
            if inflated is None:
                await refuse(413, too_large_body())
                return
            body = inflated
        elif encoding not in (b"", b"identity"):
            await refuse(415, {"error": "unsupported_media_type",
                               "message": "Content-Encoding may be gzip or nothing"})
            return
        if json_too_deep(body):
            await refuse(400, too_deep_body())
            return
        try:
            version = msgspec.json.decode(body, type=_SchemaOnly).schema
        except (msgspec.DecodeError, msgspec.ValidationError):
            version = None  # not JSON or not an object: the handler's parser says what is wrong
        # Checked before the ops are parsed: an op of a future contract need not match today's shape.
        if isinstance(version, int) and not isinstance(version, bool) and version not in SUPPORTED_SCHEMAS:
            await refuse(409, {"error": "unsupported_schema", "supported": list(SUPPORTED_SCHEMAS),
                               "message": "This app is too old or too new for the server; update it"})
            return
        try:
            # Strictly typed (no "1" for 1): a phone that sends the wrong shape learns where.
            msgspec.json.decode(body, type=PushRequest)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            await refuse(400, {"error": "invalid_request", "message": str(exc)})
            return
        headers.append((b"content-length", str(len(body)).encode()))
        scope["headers"] = headers
        await app(scope, replay_body(body, receive), send)

    return middleware
