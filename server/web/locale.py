"""The request's language: the cookie that chooses it and the hook that sets it for each request."""
from __future__ import annotations

from litestar import Request

from server.core.i18n import current_locale, pick_locale

LANG_COOKIE = "lang"


async def set_request_locale(request: Request) -> None:
    """before_request hook: the language comes from the `lang` cookie, Thai by default."""
    current_locale.set(pick_locale(request.cookies.get(LANG_COOKIE)))
