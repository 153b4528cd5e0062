"""What every page shares: templates and their filters, the signed-in user, the language,
form values with field errors, and the answers to sign-in, permission and not-found errors."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Annotated, Any

from jinja2 import Environment
from litestar import MediaType, Request, Response
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from server.auth.web import LoginRequired, NotFoundInArea, PermissionDenied, session_user
from server.dates import format_date, format_datetime, to_input
from server.db import RETRY_AFTER_SECONDS, is_busy_error, write_intent
from server.i18n import LOCALES, current_locale, gettext_, ngettext_, pick_locale
from server.models import User
from server.rules import FieldError, mask_citizen_id

LANG_COOKIE = "lang"
logger = logging.getLogger("sammachip")

# A submitted HTML form: one value per field, or a list where a field repeats (checkboxes).
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def single_values(data: dict[str, Any], *, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """One value per field (the first, if a crafted form repeats it), except the named list fields."""
    return {key: (as_list(data, key) if key in lists else
                  (value[0] if value else None) if isinstance(value, list) else value)
            for key, value in data.items()}


def as_list(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    return [v for v in (value if isinstance(value, list) else [value]) if v]


def format_money(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}"


def configure_templates(engine: JinjaTemplateEngine) -> None:
    env: Environment = engine.engine
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext_, ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.filters["be_date"] = lambda value: format_date(value, current_locale.get())
    env.filters["be_datetime"] = lambda value: format_datetime(value, current_locale.get())
    env.filters["date_input"] = to_input
    env.filters["money"] = format_money
    env.filters["mask_cid"] = mask_citizen_id
    env.globals["current_locale"] = current_locale.get
    env.globals["locales"] = LOCALES
    env.trim_blocks = True
    env.lstrip_blocks = True


async def set_request_locale(request: Request) -> None:
    """before_request hook: the language comes from the `lang` cookie, Thai by default."""
    current_locale.set(pick_locale(request.cookies.get(LANG_COOKIE)))


def wants_fragment(request: Request) -> bool:
    """An htmx swap wants just the partial; a history restore (back button) needs the whole page."""
    return bool(request.headers.get("hx-request")) and not request.headers.get("hx-history-restore-request")


def current_user(db: Session, request: Request) -> User:
    """The signed-in user, or LoginRequired (answered with a redirect to the sign-in page).

    Runs in the thread pool like every database call. Its read transaction ends before the handler
    begins its own, so a request that writes takes the write lock (SQLite) or the sync counter's
    lock only where it writes a synced record (`server/records.py`), never here.
    """
    with write_intent(False):
        user = session_user(db, request)
        db.commit()
    if user is None:
        raise LoginRequired()
    return user


def render(template: str, *, request: Request | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> Template:
    context.setdefault("locale", current_locale.get())
    return Template(template_name=template, context=context, status_code=status_code,
                    headers={"Vary": "HX-Request", **(headers or {})})


@dataclass
class FormState:
    """What a form was given back to show: the typed values and per-field messages."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, errors: list[FieldError]) -> None:
        locale = current_locale.get()
        for error in errors:
            self.errors.setdefault(error.field, error.message(locale))

    def error(self, field_name: str, message: str) -> None:
        self.errors.setdefault(field_name, message)

    @property
    def ok(self) -> bool:
        return not self.errors


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
    body = template.render(code=status, message=message, user=None, locale=current_locale.get(), request=request,
                           csrf_input="")
    return Response(content=body, status_code=status, media_type=MediaType.HTML)


def _http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 413 and not _wants_json(request):
        # A browser sent a file (or form) over the request limit: a page saying so, not JSON.
        from server.upload_tables import MAX_FILE_BYTES

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
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    if _wants_json(request):
        return Response(content={"error": "server_error", "message": "Unexpected server error; nothing "
                                 "was changed by this request. Try again later."},
                        status_code=500, media_type=MediaType.JSON)
    return _error_page(request, 500, gettext_("Something went wrong on the server. Nothing was saved; "
                                              "please try again."))


def _database_error(request: Request, exc: Exception) -> Response:
    """A database too busy to answer in time is 503 with Retry-After, never a hang or a bare 500."""
    if not is_busy_error(exc):
        return _unexpected(request, exc)
    logger.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
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
        OperationalError: _database_error,
        PoolTimeout: _database_error,
        LoginRequired: _login_redirect,
        PermissionDenied: _forbidden,
        NotFoundInArea: _not_found,
        NotFoundException: _not_found,
        HTTPException: _http_error,
    }
