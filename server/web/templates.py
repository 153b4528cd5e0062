"""Jinja templates: the engine's filters and globals, and rendering a page or a fragment."""
from __future__ import annotations

from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

from jinja2 import Environment
from jinja2.runtime import Context
from litestar import MediaType, Request
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.response import Template

from server.core.dates import format_date, format_datetime, to_input
from server.program.phone_words import phone_words
from server.web.menu import main_menu
from server.core.i18n import template_gettext, LOCALES, current_locale, gettext_, ngettext_
from server.program.field_checks import mask_citizen_id


def format_money(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}"


class PlainCallContext(Context):
    """Jinja's context, whose `call` goes straight to a plain function or method (`_()`, `.format`, a
    dict's `.get`): every call in a template passes through here, and Jinja's general path looks for a
    context to hand over twice per call (a list page makes a thousand calls). What asks for a context
    (`pass_context` and the like: `csrf_token`, macros) takes Jinja's own path."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja's signature)
        if not isinstance(__obj, _PLAIN) or hasattr(__obj, "jinja_pass_arg"):
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_loop_vars", None)
            kwargs.pop("_block_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined("value was undefined because a callable raised a"
                                                " StopIteration exception")


_PLAIN = (FunctionType, BuiltinFunctionType, MethodType)


def configure_templates(engine: JinjaTemplateEngine) -> None:
    env: Environment = engine.engine
    env.context_class = PlainCallContext
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext_, ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = template_gettext  # the same answers, made once per language (server/core/i18n.py)
    env.filters["be_date"] = lambda value: format_date(value, current_locale.get())
    env.filters["be_datetime"] = lambda value: format_datetime(value, current_locale.get())
    env.filters["date_input"] = to_input
    env.filters["money"] = format_money
    env.filters["mask_cid"] = mask_citizen_id
    env.globals["current_locale"] = current_locale.get
    env.globals["locales"] = LOCALES
    env.globals["main_menu"] = main_menu  # rendered once per role, language and current entry
    env.globals["phone_words"] = phone_words  # the field pages hand the phone its checks' words
    # JSON in pages (the phone's texts) as UTF-8, not \u escapes: Thai takes half the bytes.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False, "separators": (",", ":")}
    env.trim_blocks = True
    env.lstrip_blocks = True


def wants_fragment(request: Request) -> bool:
    """An htmx swap wants just the partial; a history restore (back button) needs the whole page."""
    return bool(request.headers.get("hx-request")) and not request.headers.get("hx-history-restore-request")


def render(template: str, *, request: Request | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> Template:
    context.setdefault("locale", current_locale.get())
    # Every template is an HTML page or fragment: said here, not guessed from the name on every response.
    return Template(template_name=template, context=context, status_code=status_code, media_type=MediaType.HTML,
                    headers={"Vary": "HX-Request", **(headers or {})})
