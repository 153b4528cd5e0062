"""The JSON API that phones speak (SYNC.md): device tokens, push and pull, under /api."""
from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from server.api import auth, sync
from server.api.errors import api_exception_handlers

api_router = Router(
    path="/api",
    route_handlers=[*auth.routers, *sync.routers],
    dependencies={"caller": Provide(auth.provide_caller)},
    exception_handlers=api_exception_handlers,
)

api_route_handlers: list = [api_router]
