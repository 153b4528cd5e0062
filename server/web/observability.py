"""What an operator sees: one log line per request, repeated errors folded, and Prometheus metrics.

Every HTTP request gets a request id (the proxy's `X-Request-Id` when it sent a sane one, else a new
one), returned in the `X-Request-Id` header, shown on the error page and carried by every log line
written while the request runs. When the request ends one line says what happened: method, route
template (never the path's values or the query: they may name people), status, duration and the
signed-in user's id. `SAMMACHIP_LOG=json` writes each line as one JSON object; plain text otherwise.

The same error repeated (a database outage answers every request with one) is written once with its
traceback, then counted: the next line after `FOLD_SECONDS` says how many were folded.

`/metrics` (Prometheus text format) answers only addresses in `METRICS_ALLOW` (CIDRs, default the
loopback) or a request bearing `Authorization: Bearer $METRICS_TOKEN`. Counters and histograms are
per process unless `PROMETHEUS_MULTIPROC_DIR` names a directory shared by the server's processes
(`sammachip serve --workers N` makes one itself); the database figures are read when scraped.
"""
from __future__ import annotations

import atexit
import datetime as dt
import hmac
import ipaddress
import json
import logging
import os
import re
import sys
import threading
import time
import traceback
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from logging.handlers import QueueHandler
from queue import SimpleQueue
from typing import Any

from litestar import MediaType, Request, Response, get
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from server.core.db import write_intent

LOG_ENV = "SAMMACHIP_LOG"
REQUEST_ID_HEADER = "x-request-id"
FOLD_SECONDS = 60.0
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_SCOPE_KEY = "sammachip.request"

request_log = logging.getLogger("sammachip.request")


@dataclass
class RequestInfo:
    """One request's id and, once known, its user's id (set by the sign-in checks)."""

    id: str
    user_id: int | None = None


_current: ContextVar[RequestInfo | None] = ContextVar("sammachip_request", default=None)


def current_request_id() -> str | None:
    info = _current.get()
    return info.id if info is not None else None


def request_id_of(request: Request) -> str | None:
    info = request.scope.get(_SCOPE_KEY)  # type: ignore[call-overload]
    return info.id if info is not None else None


def note_user(user_id: int | None) -> None:
    """Record the signed-in user of the running request for its log line (the id only)."""
    info = _current.get()
    if info is not None:
        info.user_id = user_id


# --- metrics -------------------------------------------------------------------------------------

REQUEST_SECONDS = Histogram(
    "sammachip_request_duration_seconds", "Time to answer a request, by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
SYNC_OPS = Counter("sammachip_sync_ops", "Ops pushed by phones, by their answer", ["result"])


def count_sync_ops(results: list[dict[str, Any]]) -> None:
    found: dict[str, int] = {}
    for result in results:
        status = str(result.get("status"))
        found[status] = found.get(status, 0) + 1
    for status, count in found.items():
        SYNC_OPS.labels(result=status).inc(count)


class DatabaseFigures:
    """Read when scraped: open conflicts, review tasks waiting, and this process's connection pool."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self):  # noqa: ANN201 - the prometheus_client collector protocol
        with write_intent(False), Session(self.engine) as db:
            conflicts = db.execute(text("SELECT COUNT(*) FROM conflict WHERE status = 'open'")).scalar_one()
            tasks = dict(db.execute(text("SELECT status, COUNT(*) FROM review_task "
                                         "WHERE status IN ('open', 'fixed') AND deleted = :no GROUP BY status"),
                                    {"no": False}).all())
            db.rollback()
        yield GaugeMetricFamily("sammachip_open_conflicts", "Values that lost a merge, waiting for a supervisor",
                                value=conflicts)
        waiting = GaugeMetricFamily("sammachip_review_tasks_pending",
                                    "Review tasks waiting: open (for the officer) or fixed (for the supervisor)",
                                    labels=["status"])
        for status in ("open", "fixed"):
            waiting.add_metric([status], tasks.get(status, 0))
        yield waiting
        pool = self.engine.pool
        if isinstance(pool, QueuePool):
            connections = GaugeMetricFamily("sammachip_db_pool_connections",
                                            "Database connections of the answering process's pool",
                                            labels=["state"])
            connections.add_metric(["in_use"], pool.checkedout())
            connections.add_metric(["idle"], pool.checkedin())
            connections.add_metric(["overflow"], max(pool.overflow(), 0))
            yield connections
            yield GaugeMetricFamily("sammachip_db_pool_size", "Connections the pool keeps", value=pool.size())


def metrics_text(engine: Engine) -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    figures = CollectorRegistry()
    figures.register(DatabaseFigures(engine))
    return counted + generate_latest(figures)


@dataclass(frozen=True)
class MetricsAccess:
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    token: str | None

    @classmethod
    def from_env(cls) -> "MetricsAccess":
        allowed = os.environ.get("METRICS_ALLOW", "127.0.0.1/8,::1/128")
        networks = tuple(ipaddress.ip_network(part.strip(), strict=False)
                         for part in allowed.split(",") if part.strip())
        return cls(networks=networks, token=os.environ.get("METRICS_TOKEN") or None)

    def allows(self, client: str | None, authorization: str) -> bool:
        if self.token and authorization.startswith("Bearer "):
            return hmac.compare_digest(authorization.removeprefix("Bearer ").strip().encode(), self.token.encode())
        try:
            address = ipaddress.ip_address(client or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)


@get("/metrics", include_in_schema=False, sync_to_thread=True)
def metrics(request: Request) -> Response:
    access: MetricsAccess = request.app.state.metrics_access
    client = request.client.host if request.client else None
    if not access.allows(client, request.headers.get("authorization", "")):
        return Response(content={"error": "forbidden", "message": "Forbidden"}, status_code=403,
                        media_type=MediaType.JSON)
    return Response(content=metrics_text(request.app.state.engine), media_type=CONTENT_TYPE_LATEST)


# --- the request line ----------------------------------------------------------------------------

def request_log_middleware(app: ASGIApp) -> ASGIApp:
    """Outermost layer: the request id, the line per request and the latency histogram (every
    request, routed or not, including those answered by an error handler)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        asked = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"x-request-id"), "")
        info = RequestInfo(id=asked if _SANE_ID.match(asked) else uuid.uuid4().hex)
        scope[_SCOPE_KEY] = info  # type: ignore[literal-required]
        token = _current.set(info)
        status = 500
        started = time.perf_counter()
        done = False

        def finish() -> None:
            nonlocal done
            done = True
            seconds = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            REQUEST_SECONDS.labels(method=scope["method"], route=route, status=str(status)).observe(seconds)
            request_log.info("%s %s %d %.1f ms", scope["method"], route, status, seconds * 1000,
                             extra={"http": {"method": scope["method"], "route": route, "status": status,
                                             "duration_ms": round(seconds * 1000, 1)}})

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", info.id.encode())]
            elif message["type"] == "http.response.body" and not message.get("more_body", False) and not done:
                # Counted when its last byte leaves (the client may ask again before the app returns).
                finish()
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            if not done:  # no answer was sent (the client left, or a failure before any response)
                finish()
            _current.reset(token)

    return middleware


# --- log formatting and folding ------------------------------------------------------------------

class RequestContext(logging.Filter):
    """Adds the running request's id and user id to every record written while it runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = _current.get()
        record.request_id = info.id if info is not None else None
        record.user_id = info.user_id if info is not None else None
        return True


class FoldRepeats(logging.Filter):
    """The same warning or error (same message template and exception type) is written once per
    `FOLD_SECONDS`; the first one after that says how many were left out meanwhile."""

    def __init__(self, seconds: float = FOLD_SECONDS) -> None:
        super().__init__()
        self.seconds = seconds
        self.lock = threading.Lock()
        self.seen: dict[tuple, list[float]] = {}  # key -> [first written at, folded since]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        exc_type = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
        key = (record.name, record.levelno, str(record.msg), exc_type)
        now = time.monotonic()
        with self.lock:
            entry = self.seen.get(key)
            if entry is not None and now - entry[0] < self.seconds:
                entry[1] += 1
                return False
            record.folded = int(entry[1]) if entry is not None else 0
            self.seen[key] = [now, 0]
            if len(self.seen) > 1000:  # bounded: forget the oldest kinds
                for old in sorted(self.seen, key=lambda k: self.seen[k][0])[:500]:
                    del self.seen[old]
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, user id, and the request's
    fields or the exception's type and traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ("request_id", "user_id", "folded"):
            value = getattr(record, name, None)
            if value:
                line[name] = value
        http = getattr(record, "http", None)
        if http:
            line.update(http)
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
            line["traceback"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(line, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extras = [f"request={record.request_id}"] if getattr(record, "request_id", None) else []
        if getattr(record, "user_id", None):
            extras.append(f"user={record.user_id}")
        if getattr(record, "folded", 0):
            extras.append(f"(and {record.folded} more like it folded)")
        if not extras:
            return text
        first, _, rest = text.partition("\n")
        return " ".join([first, *extras]) + (f"\n{rest}" if rest else "")


def log_format() -> str:
    return "json" if os.environ.get(LOG_ENV, "").strip().lower() == "json" else "plain"


class LogWriter:
    """Writes the queued records from a thread of its own, a batch at a time: it wakes at a record,
    lets those that follow gather for `gather` seconds, then formats them all and writes them at once.

    A thread woken for every line (the standard `QueueListener`) took the interpreter's lock back and
    forth with the event loop on every request: about 0.4 ms of a push's CPU, a tenth of it. A line
    now appears up to `gather` seconds late; what is queued is written when the process ends."""

    def __init__(self, queue: SimpleQueue, output: logging.StreamHandler, gather: float = 0.05) -> None:
        self.queue = queue
        self.output = output
        self.gather = gather
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sammachip-log", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.queue.put(None)  # the end: written after everything queued before it
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while True:
            batch = [self.queue.get()]
            if batch[0] is not None:
                time.sleep(self.gather)
            while not self.queue.empty() and batch[-1] is not None and len(batch) < 1000:
                batch.append(self.queue.get_nowait())
            self._write([record for record in batch if record is not None])
            if batch[-1] is None:
                return

    def _write(self, records: list[logging.LogRecord]) -> None:
        lines = []
        for record in records:
            try:
                lines.append(self.output.format(record))
            except Exception:  # a record that cannot be formatted is reported, the others are written
                self.output.handleError(record)
        if lines:
            try:
                self.output.stream.write("\n".join(lines) + "\n")
                self.output.flush()
            except Exception:
                self.output.handleError(records[-1])


_configured: dict[str, Any] = {}


def configure_logging() -> None:
    """The `sammachip` loggers write to stderr through a queue (a slow terminal or pipe never holds a
    request), as JSON lines or plain text. Once per process."""
    if _configured:
        return
    formatter: logging.Formatter = JsonFormatter() if log_format() == "json" else PlainFormatter()
    output = logging.StreamHandler(sys.stderr)
    output.setFormatter(formatter)
    queue: SimpleQueue = SimpleQueue()
    handler = QueueHandler(queue)
    handler.addFilter(RequestContext())
    handler.addFilter(FoldRepeats())
    handler.prepare = lambda record: record  # type: ignore[method-assign] # the writer formats
    writer = LogWriter(queue, output)
    writer.start()
    atexit.register(writer.stop)  # what is still queued is written before the process ends
    logger = logging.getLogger("sammachip")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    _configured.update(writer=writer, handler=handler)


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own lines (start, stop, its errors) in the same format; its access log is replaced by
    the request line above."""
    formatter = ({"()": "server.web.observability.JsonFormatter"} if log_format() == "json"
                 else {"()": "server.web.observability.PlainFormatter"})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "default",
                                 "stream": "ext://sys.stderr"}},
        "loggers": {"uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
                    "uvicorn.error": {"level": "INFO"},
                    "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False}},
    }
