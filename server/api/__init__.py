"""The JSON API that phones speak (SYNC.md): device tokens, push and pull."""
from __future__ import annotations

api_route_handlers: list = []
