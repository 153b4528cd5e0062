"""The app factory: settings, database, templates, pages, the sync API and static files in one place."""
from __future__ import annotations

from collections.abc import Callable

from litestar import Litestar, MediaType, Response, Router, get
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from server.api import api_route_handlers
from server.api.docs import PlainSchemaPage
from server.core.db import make_engine
from server.core.settings import Settings
from server.web.request_session import db_session_middleware, provide_db
from server.web.static_urls import static_cache_middleware, static_url
from server.web.observability import MetricsAccess, configure_logging, metrics, request_log_middleware
from server.core.settings import STATIC_DIR, TEMPLATES_DIR
from server.web.security_headers import add_security_headers
from server.program.upload_tables import MAX_FILE_BYTES

PWA_DIR = STATIC_DIR


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    """Liveness: the process answers (restart it if not). Touches nothing else."""
    return {"status": "ok"}


@get("/readyz", include_in_schema=False, sync_to_thread=True)
def readyz(db: Session) -> Response:
    """Readiness: the database answers and carries the schema (send requests here only if so)."""
    try:
        db.execute(text("SELECT version_num FROM alembic_version")).first()
    except SQLAlchemyError:
        return Response(content={"status": "unavailable"}, status_code=503, media_type=MediaType.JSON)
    return Response(content={"status": "ok"}, media_type=MediaType.JSON)


def _template_setup(settings: Settings) -> Callable[[JinjaTemplateEngine], None]:
    """The filters and globals of server/web/templates.py, and `static_url` for versioned static files.
    Templates are files of the release: only a developer's server looks for edits (a look is a stat
    of each template, include and import on every page)."""

    def configure(engine: JinjaTemplateEngine) -> None:
        from server.web.templates import configure_templates

        configure_templates(engine)
        engine.engine.globals["static_url"] = static_url
        engine.engine.auto_reload = settings.development

    return configure


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    settings.check_safe()
    configure_logging()
    engine = engine or make_engine(settings.database_url)

    from server.pages import page_routers
    from server.web.guards import current_user, public
    from server.web.error_pages import exception_handlers
    from server.web.locale import set_request_locale

    # Pages ask for /static/<file>?v=<hash> (server/web/static_urls.py): cached for a year, replaced by a release.
    static = create_static_files_router(path="/static", directories=[PWA_DIR], name="static",
                                        middleware=[static_cache_middleware])
    # Pages are for browsers, not API clients: they stay out of the OpenAPI schema.
    # Grouped in routers: registering a second method on a path directly on the app re-runs the
    # first handler's registration, which wraps a sync handler for the thread pool twice.
    handlers = [Router(path="/", guards=[public], route_handlers=[healthz, readyz, metrics, static]),
                Router(path="/", route_handlers=page_routers, include_in_schema=False)]
    if api_route_handlers:
        handlers.append(Router(path="/", route_handlers=api_route_handlers))

    app = Litestar(
        route_handlers=handlers,
        middleware=[db_session_middleware],
        # Whatever touches the database runs in the thread pool; `provide_db` only hands over the
        # session the middleware opened (no I/O), so it may stay on the event loop.
        dependencies={"db": Provide(provide_db, sync_to_thread=False),
                      "user": Provide(current_user)},
        before_request=set_request_locale,
        before_send=[add_security_headers],
        template_config=TemplateConfig(directory=TEMPLATES_DIR, engine=JinjaTemplateEngine,
                                       engine_callback=_template_setup(settings)),
        plugins=[HTMXPlugin()],
        # Pages and pulls travel over 2G in the villages: gzip anything worth compressing.
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, gzip_compress_level=6),
        csrf_config=CSRFConfig(secret=settings.secret_key, cookie_secure=settings.secure_cookies,
                               cookie_samesite="strict", exclude=["/api/"]),
        # /schema is a plain page of the app's own (no viewer from a CDN); /schema/openapi.json the document.
        openapi_config=OpenAPIConfig(title="Sammachip API", version="1", path="/schema",
                                     render_plugins=[PlainSchemaPage()]),
        exception_handlers=exception_handlers(),
        state=State({"settings": settings, "engine": engine, "metrics_access": MetricsAccess.from_env()}),
        # The largest upload (a household list) is the largest body a page takes.
        request_max_body_size=MAX_FILE_BYTES,
        # Logging is server/web/observability.py's: expected outcomes (sign-in needed, 404, 403) are not
        # logged as errors; bugs are, by the catch-all handler in server/web.py, with their traceback.
        logging_config=None,
        debug=False,
    )
    # Around everything the app does (routing, error handlers included): the request id and line.
    app.asgi_handler = request_log_middleware(app.asgi_handler)
    return app
