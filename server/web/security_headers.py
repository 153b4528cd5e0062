"""Security headers on every response: a strict Content-Security-Policy (scripts and styles from the
app's own files only), no framing, no referrer to other sites, no content sniffing, and HSTS behind TLS.

The pages hold no inline script, event-handler attribute or style attribute: page glue lives in
`pwa/app.js` and the ES modules of `pwa/js/`, and htmx is told not to inject its indicator styles
(`htmx-config` in the page heads; the indicator rules are in `app.css`). A JSON data block
(`<script type="application/json">`) is data, not script, and needs no exception.
"""
from __future__ import annotations

from litestar.types import Message, Scope

from server.core.settings import Settings

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HSTS_SECONDS = 31536000


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    headers = [(b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
               (b"x-frame-options", b"DENY"),
               (b"referrer-policy", b"same-origin"),
               (b"x-content-type-options", b"nosniff")]
    if settings.secure_cookies:  # served over HTTPS (SECURE_COOKIES=1): browsers keep to it
        headers.append((b"strict-transport-security", f"max-age={HSTS_SECONDS}; includeSubDomains".encode()))
    return headers


async def add_security_headers(message: Message, scope: Scope) -> None:
    """The app's `before_send` hook: every response, errors and static files included, gets them."""
    if message["type"] != "http.response.start":
        return
    headers = security_headers(scope["litestar_app"].state.settings)
    present = {name.lower() for name, _ in message.get("headers", [])}
    message["headers"] = [*message.get("headers", []), *(h for h in headers if h[0] not in present)]
