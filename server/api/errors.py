"""Structured JSON errors for the phone API: `{"error": code, "message": text, ...}`, never a page."""
from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
          422: "invalid", 429: "too_many_attempts"}


class ApiError(Exception):
    """An answer other than success; raised anywhere in an API handler or dependency."""

    def __init__(self, status: int, error: str, message: str, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": error, "message": message, **extra}
        self.headers = headers or {}


def json_error(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


def _api_error(_request: Request, exc: ApiError) -> Response:
    return json_error(exc.status, exc.body, exc.headers)


def _validation_error(_request: Request, exc: ValidationException) -> Response:
    # A body or parameter of the wrong shape: say where, so a client developer can fix it.
    return json_error(400, {"error": "invalid_request", "message": exc.detail,
                            "details": exc.extra if isinstance(exc.extra, (list, dict)) else []})


def _http_error(_request: Request, exc: HTTPException) -> Response:
    return json_error(exc.status_code, {"error": _CODES.get(exc.status_code, "error"),
                                        "message": exc.detail}, exc.headers)


api_exception_handlers = {ApiError: _api_error, ValidationException: _validation_error,
                          HTTPException: _http_error}
