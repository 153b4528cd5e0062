"""Message catalogs (gettext .po files read with Babel) and the request's language.

English strings are the message ids; Thai is the default language. Each area of the app keeps its
own catalog (`locale/<lang>/LC_MESSAGES/<area>.po`); they are merged and compiled in memory at
start-up, so there is no build step and no compiled file to forget.
"""
from __future__ import annotations

import gettext
from contextvars import ContextVar
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from markupsafe import Markup, escape

LOCALES = ("th", "en")
DEFAULT_LOCALE = "th"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@lru_cache(maxsize=None)
def translations(locale: str) -> gettext.NullTranslations:
    po_files = sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po"))
    if not po_files:
        return gettext.NullTranslations()
    catalog = Catalog(locale=locale)
    for po_path in po_files:
        with po_path.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if message.id and message.string:
                    catalog[message.id] = message
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


class Words(Markup):
    """A catalog's words in a template: Markup, trusted as jinja2's i18n trusts them, whose `.format()`
    fills in escaped values as Markup's does, through `str.format` (Markup's own formatter is written
    in Python: a list that says "{n} households" on every row spent a tenth of its time there).

    What is filled in is escaped first, then formatted: a number as it is (its text needs no escaping,
    and `{n:,}` still works), anything else by `escape` (Markup stays as it is)."""

    __slots__ = ()

    def format(self, *args: Any, **kwargs: Any) -> Markup:  # type: ignore[override]
        return Markup(str.format(self, *map(_filled, args), **{k: _filled(v) for k, v in kwargs.items()}))


def _filled(value: Any) -> Any:
    return value if isinstance(value, (int, float)) else escape(value)


@lru_cache(maxsize=8192)
def _template_message(locale: str, message: str) -> Words:
    return Words(Markup(translations(locale).gettext(message)) % {})


def template_gettext(message: str, **variables: Any) -> Words:
    """`_()` in templates: what jinja2's newstyle gettext answers under autoescape (the translation as
    Markup, `%(name)s` filled in and escaped), made once per language and message when it has no
    variables. A list renders `_()` a dozen times a row; through the i18n extension each call cost
    two context calls, a Markup and a formatting."""
    if variables:
        return Words(Markup(gettext_(message)) % variables)
    return _template_message(current_locale.get(), message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


def pick_locale(cookie_value: str | None) -> str:
    """The language a cookie names, if the app has it; Thai otherwise."""
    if cookie_value in LOCALES:
        return cookie_value
    return DEFAULT_LOCALE
