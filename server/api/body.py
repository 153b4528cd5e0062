"""Reading a push body before the handler does: the 5 MB limit, gzip, and the contract version.

Applied as middleware on the push route only, so the limit holds however the body arrives
(chunked, gzip, or a `Content-Length` that lies), and a gzip bomb is stopped at 5 MB of output.
The bearer token is checked first: a client without a valid token gets 401 before a byte of its
body is read, so nobody anonymous can make the server buffer or inflate 5 MB.
"""
from __future__ import annotations

import zlib
from typing import Any

import msgspec
from anyio import to_thread
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlmodel import Session

from server.api.auth import check_token
from server.api.errors import ApiError
from server.api.schemas import PushRequest
from sync.push import MAX_BYTES, MAX_OPS, SUPPORTED_SCHEMAS

LIMITS = {"max_ops": MAX_OPS, "max_bytes": MAX_BYTES}


class _SchemaOnly(msgspec.Struct):
    schema: Any = None


async def _answer(send: Send, status: int, body: dict[str, Any],
                  headers: dict[str, str] | None = None) -> None:
    payload = msgspec.json.encode(body)
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()), *extra]})
    await send({"type": "http.response.body", "body": payload})


def _token_problem(scope: Scope) -> ApiError | None:
    """401 for a missing, wrong or revoked token, looked up in a short session of its own."""
    authorization = next((v for k, v in scope["headers"] if k.lower() == b"authorization"), b"")
    with Session(scope["litestar_app"].state.engine) as db:
        try:
            check_token(db, authorization.decode("latin-1"))
        except ApiError as problem:
            return problem
        finally:
            db.rollback()
    return None


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


def push_body_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        problem = await to_thread.run_sync(_token_problem, scope)
        if problem is not None:
            await _answer(send, problem.status, problem.body, problem.headers)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BYTES:
                await _answer(send, 413, too_large_body())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"content-encoding", b"content-length")]
        encoding = dict((k.lower(), v) for k, v in scope["headers"]).get(b"content-encoding", b"").strip().lower()
        if encoding == b"gzip":
            try:
                inflated = _gunzip(body)
            except ValueError:
                await _answer(send, 400, {"error": "bad_request", "message": "The body is not valid gzip"})
                return
            if inflated is None:
                await _answer(send, 413, too_large_body())
                return
            body = inflated
        elif encoding not in (b"", b"identity"):
            await _answer(send, 415, {"error": "unsupported_media_type",
                                      "message": "Content-Encoding may be gzip or nothing"})
            return
        try:
            version = msgspec.json.decode(body, type=_SchemaOnly).schema
        except (msgspec.DecodeError, msgspec.ValidationError):
            version = None  # not JSON or not an object: the handler's parser says what is wrong
        # Checked before the ops are parsed: an op of a future contract need not match today's shape.
        if isinstance(version, int) and not isinstance(version, bool) and version not in SUPPORTED_SCHEMAS:
            await _answer(send, 409, {"error": "unsupported_schema", "supported": list(SUPPORTED_SCHEMAS),
                                      "message": "This app is too old or too new for the server; update it"})
            return
        try:
            # Strictly typed (no "1" for 1): a phone that sends the wrong shape learns where.
            msgspec.json.decode(body, type=PushRequest)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            await _answer(send, 400, {"error": "invalid_request", "message": str(exc)})
            return
        headers.append((b"content-length", str(len(body)).encode()))
        scope["headers"] = headers
        delivered = False

        async def replay() -> Any:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await app(scope, replay, send)

    return middleware
