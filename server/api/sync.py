"""Push and pull (SYNC.md): the two calls a phone makes to exchange records with the server."""
from __future__ import annotations

from typing import Annotated

from litestar import Router, get, post
import hashlib
import hmac

from litestar import Request
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from sqlmodel import Session

from server.web.guards import device_token
from server.api.auth import caller_of
from server.api.body import push_body_middleware, too_large_body
from server.api.errors import ApiError
from server.api.schemas import (
    INVALID_REQUEST,
    ErrorBody,
    UNAUTHORIZED,
    InvalidRequestBody,
    PullResponse,
    PushRequest,
    PushResponse,
    TooLargeBody,
    UnsupportedSchemaBody,
)
from server.auth.areas import area_village_ids
from server.core.db import writer_beside
from server.synced.specs import REGISTRY
from server.web.observability import count_sync_ops
from server.core.settings import Settings
from sync.pull import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    BadCursor,
    Cursor,
    CursorAhead,
    area_key,
    area_remembered,
    areas_sent,
    fingerprint,
    pull_page,
    remember_area,
    remember_sent,
)
from server.synced.apply import apply_ops
from sync.push import MAX_OPS, SUPPORTED_SCHEMAS, Actor, Op

_ERRORS = {400: INVALID_REQUEST, 401: UNAUTHORIZED}


def cursor_key(settings: Settings, device_id: str) -> bytes:
    """The key that seals a device's cursors: derived from SECRET_KEY for this use and this device,
    so a cursor is good only on the server that made it and only for the device it was made for."""
    base = hmac.new(settings.secret_key.encode(), b"sammachip/pull-cursor/v1", hashlib.sha256).digest()
    return hmac.new(base, device_id.encode(), hashlib.sha256).digest()


@post("/sync/push", operation_id="syncPush", status_code=200, sync_to_thread=True, tags=["sync"],
      middleware=[push_body_middleware], request_max_body_size=None,
      summary="Send a batch of ops; each is answered applied, duplicate, conflict or rejected",
      description="At most 1,000 ops and 5 MB (after gzip decompression) per request. The answer's "
                  "`cursor` marks the server's position after this batch: a pull from the device's "
                  "own cursor reaches it; it does not replace that cursor.",
      responses={**_ERRORS,
                 409: ResponseSpec(data_container=UnsupportedSchemaBody, description="Unsupported schema"),
                 413: ResponseSpec(data_container=TooLargeBody, description="Too many ops or bytes")})
def push(data: PushRequest, db: Session, request: Request) -> PushResponse:
    caller = caller_of(request, db)
    if data.schema not in SUPPORTED_SCHEMAS:
        raise ApiError(409, "unsupported_schema", "This app is too old or too new for the server; update it",
                       supported=list(SUPPORTED_SCHEMAS))
    if len(data.ops) > MAX_OPS:
        body = too_large_body()
        raise ApiError(413, body["error"], body["message"], limits=body["limits"])
    area = area_village_ids(db, caller.user)
    ops = [Op(op_id=o.op_id, entity=o.entity, id=o.id, action=o.action, base_seq=o.base_seq,
              captured_at=o.captured_at, fields=o.fields) for o in data.ops]
    outcome = apply_ops(db, Actor(user_id=caller.user.id, device_id=caller.device.id, area=area), ops)
    db.commit()
    count_sync_ops(outcome.results)
    area_print = fingerprint(sorted(area)) if area is not None else None
    cursor = Cursor(seq=outcome.last_seq, area=area_print).encode(
        cursor_key(request.app.state.settings, caller.device.id))
    return {"results": outcome.results, "cursor": cursor}  # type: ignore[return-value]


@get("/sync/pull", operation_id="syncPull", sync_to_thread=True, tags=["sync"],
     summary="The changes in the caller's area after a cursor, oldest first, each record once",
     responses={**_ERRORS, 400: ResponseSpec(
         data_container=InvalidRequestBody,
         description="A parameter out of range (`invalid_request`), or a cursor this server did not make "
                     "for this device (`invalid_cursor`): pull again from the start"),
                409: ResponseSpec(
         data_container=ErrorBody,
         description="`resync`: the cursor is ahead of the server (its database was restored from a "
                     "backup): keep the outbox, drop the pulled records and pull from the start")})
def pull(db: Session, request: Request,
         cursor: Annotated[str | None, Parameter(max_length=2000, description="From the previous pull; none: from the start")] = None,
         limit: Annotated[int, Parameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> PullResponse:
    caller = caller_of(request, db)
    key = cursor_key(request.app.state.settings, caller.device.id)
    try:
        position = Cursor.decode(cursor, key)
    except BadCursor:
        raise ApiError(400, "invalid_cursor", "The cursor is not valid; pull from the start") from None
    area = area_village_ids(db, caller.user)
    # The villages behind the cursor's area, for a later pull to tell which ones the phone lost, and
    # that this device is answered this area (a write only the first time an area is seen, in a
    # short transaction of its own on SQLite).
    remembered = area_remembered(db, area)
    sent = areas_sent(db, caller.device.id)
    if not remembered or area_key(area) not in sent:
        with writer_beside(db) as writer:
            remember_area(writer, area)
            remember_sent(writer, caller.device.id, area)
    db.commit()  # a fresh transaction: on PostgreSQL the whole page is read from one snapshot
    if db.get_bind().dialect.name == "postgresql":
        db.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        page = pull_page(db, REGISTRY, area=area, cursor=position, key=key,
                         sent=areas_sent(db, caller.device.id), limit=limit)
    except CursorAhead:
        raise ApiError(409, "resync", "The server has fewer changes than this cursor (restored from a "
                                      "backup): keep the outbox, drop the pulled records and pull from the start") from None
    db.rollback()
    return {"changes": page.changes, "cursor": page.cursor, "has_more": page.has_more}  # type: ignore[return-value]


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[device_token], route_handlers=[push, pull]),
]
