"""How errors reach people: a page in words for a browser, a structured body for the API, never a traceback."""
from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException
from litestar.response import Redirect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from server.auth.access import LoginRequired, NotFoundInArea, PermissionDenied
from server.core.db import RETRY_AFTER_SECONDS, is_busy_error, outage_log
from server.core.i18n import current_locale, gettext_
from server.web.observability import request_id_of

logger = logging.getLogger("sammachip")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _login_redirect(request: Request, _exc: Exception) -> Response:
    if request.headers.get("hx-request"):
        return Response(content="", status_code=401, headers={"HX-Redirect": "/login"})
    return Redirect(path="/login")


def _forbidden(request: Request, _exc: Exception) -> Response:
    if _wants_json(request):
        return Response(content={"error": "forbidden", "message": "Forbidden"},
                        status_code=403, media_type=MediaType.JSON)
    return _error_page(request, 403, gettext_("You do not have permission to do this."))


def _not_found(request: Request, exc: Exception) -> Response:
    if _wants_json(request):
        return Response(content={"error": "not_found", "message": "Not found"},
                        status_code=404, media_type=MediaType.JSON)
    return _error_page(request, 404, gettext_("This page does not exist or is outside your area."))


def _error_page(request: Request, status: int, message: str) -> Response:
    template = request.app.template_engine.get_template("error.html")
    # A 5xx page names its request, for the operator to find its log line.
    body = template.render(code=status, message=message, user=None, locale=current_locale.get(), request=request,
                           csrf_input="", request_id=request_id_of(request) if status >= 500 else None)
    return Response(content=body, status_code=status, media_type=MediaType.HTML)


def _http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 413 and not _wants_json(request):
        # A browser sent a file (or form) over the request limit: a page saying so, not JSON.
        from server.program.upload_tables import MAX_FILE_BYTES

        return _error_page(request, 413, gettext_("The file is too large: at most {size} MB can be uploaded "
                                                  "at once. Split it into smaller files.")
                           .format(size=MAX_FILE_BYTES // (1024 * 1024)))
    if _wants_json(request) or exc.status_code not in (403, 404, 405):
        if isinstance(exc.extra, dict) and "error" in exc.extra:
            content = exc.extra
        else:
            content = {"error": _error_code(exc.status_code), "message": exc.detail}
            if exc.extra:
                content["details"] = exc.extra
        return Response(content=content, status_code=exc.status_code, media_type=MediaType.JSON,
                         headers=exc.headers)
    return _error_page(request, exc.status_code, exc.detail)


def _error_code(status: int) -> str:
    return {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 409: "conflict", 413: "too_large",
            422: "invalid"}.get(status, "error")


def _unexpected(request: Request, exc: Exception) -> Response:
    """A bug: log it with its traceback; the user gets a plain message, the API a structured error."""
    logger.error("unexpected error on %s %s", request.method, request.scope.get("path_template", "?"), exc_info=exc)
    if _wants_json(request):
        return Response(content={"error": "server_error", "message": "Unexpected server error; nothing "
                                 "was changed by this request. Try again later.",
                                 "request_id": request_id_of(request)},
                        status_code=500, media_type=MediaType.JSON)
    return _error_page(request, 500, gettext_("Something went wrong on the server. Nothing was saved; "
                                              "please try again."))


def _database_error(request: Request, exc: Exception) -> Response:
    """A database too busy to answer in time is 503 with Retry-After, never a hang or a bare 500."""
    if not is_busy_error(exc):
        return _unexpected(request, exc)
    # The route, not the path (its values), and the driver's error without the statement or values.
    outage_log.busy(exc)  # one line per burst, not a traceback per request
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if _wants_json(request):
        return Response(content={"error": "busy", "message": "The server is busy; nothing was changed by "
                                 "this request. Try again shortly.", "retry_after": RETRY_AFTER_SECONDS},
                        status_code=503, media_type=MediaType.JSON, headers=headers)
    response = _error_page(request, 503, gettext_("The server is busy. Nothing was saved; please try again "
                                                  "in a moment."))
    response.headers.update(headers)
    return response


def exception_handlers() -> dict:
    return {
        Exception: _unexpected,
        SQLAlchemyError: _database_error,  # busy (gone, stalled, timed out) or else a bug
        PoolTimeout: _database_error,
        LoginRequired: _login_redirect,
        PermissionDenied: _forbidden,
        NotFoundInArea: _not_found,
        NotFoundException: _not_found,
        HTTPException: _http_error,
    }
