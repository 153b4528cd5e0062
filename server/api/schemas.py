"""The shapes of the JSON the phone API speaks (SYNC.md), as msgspec structs for the OpenAPI schema."""
from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from msgspec import Meta, Struct

Text200 = Annotated[str, Meta(max_length=200)]
OpId = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]


class ErrorBody(Struct):
    """Every error the API answers: a code a program can test and a message a person can read."""

    error: Annotated[str, Meta(description="A stable code, e.g. invalid_credentials, invalid_cursor, not_found")]
    message: str


class InvalidRequestBody(Struct):
    """A body, parameter or cursor the server cannot read: `details` says where (for a body or parameter
    of the wrong shape), or is absent (a cursor this server did not make)."""

    error: Annotated[str, Meta(description="invalid_request (the shape), invalid_cursor, bad_request")]
    message: str
    details: list[Any] | dict[str, Any] | None = None


class TooManyAttemptsBody(Struct):
    error: Literal["too_many_attempts"]
    message: str
    retry_after: Annotated[int, Meta(description="Seconds until the username may sign in again")]


class TooLargeBody(Struct):
    error: str
    message: str
    limits: dict[str, int]


class UnsupportedSchemaBody(Struct):
    error: str
    message: str
    supported: list[int]


class TokenRequest(Struct, forbid_unknown_fields=False):
    username: Text200
    password: Text200
    device_name: Annotated[str, Meta(max_length=100)] = ""


class DeviceNameRequest(Struct, forbid_unknown_fields=False):
    """A new name for the calling device (PUT /api/auth/device)."""

    name: Annotated[str, Meta(min_length=1, max_length=100)]


class UserInfo(Struct):
    id: int
    username: str
    role: str


class TokenResponse(Struct):
    token: str
    device_id: str
    user: UserInfo


class DeviceInfo(Struct):
    id: str
    name: str
    user_id: int
    username: str
    created_at: str
    last_seen_at: str | None
    app_version: str | None
    revoked_at: str | None
    current: bool
    pending_ops: int | None = None  # what the phone said waited in its outbox at its last sync


class PushOp(Struct, forbid_unknown_fields=False):
    op_id: OpId
    entity: Annotated[str, Meta(max_length=64)]
    id: Annotated[str, Meta(max_length=64)]
    action: Annotated[str, Meta(max_length=16)]
    base_seq: int | None = None
    captured_at: Annotated[str, Meta(max_length=64)] | None = None
    fields: dict[str, Any] = msgspec.field(default_factory=dict)


class PushRequest(Struct, forbid_unknown_fields=False):
    schema: Literal[1]  # another version is answered 409 before the ops are read (server/api/body.py)
    ops: list[PushOp]


class FieldErrorBody(Struct):
    field: str
    code: str
    message: str
    message_th: str
    message_en: str


class ConflictBody(Struct):
    field: str
    kept: Any
    other: Any
    conflict_id: str


class PushResult(Struct, omit_defaults=True):
    op_id: str
    status: str  # applied | duplicate | conflict | rejected
    id: str
    seq: int | None = None
    conflicts: list[ConflictBody] | None = None
    errors: list[FieldErrorBody] | None = None
    first_status: str | None = None  # for a duplicate: the status of the first answer
    clock_skew: bool | None = None


class PushResponse(Struct):
    results: list[PushResult]
    cursor: str


class Change(Struct, omit_defaults=True):
    entity: str
    id: str
    seq: int
    deleted: bool
    fields: dict[str, Any]
    # "out_of_area": the record left the device's area (drop the copy; it is not deleted on the server).
    # Absent on every other change, a real deletion included.
    reason: Literal["out_of_area"] | None = None


class PullResponse(Struct):
    changes: list[Change]
    cursor: str
    has_more: bool


# The error answers each handler declares (`responses=`), so the schema describes what is really sent
# ({"error", "message", ...}) instead of the framework's default error shape.
INVALID_REQUEST = ResponseSpec(data_container=InvalidRequestBody,
                               description="The request cannot be read (body, parameter, encoding); nothing was stored")
UNAUTHORIZED = ResponseSpec(data_container=ErrorBody, description="Missing, wrong or revoked token")
