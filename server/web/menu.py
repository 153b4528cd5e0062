"""The main menu: the user's destinations in four groups, and which one is the page they are on.

The menu is the same for every page of a role in a language, but for the entry marked current; it is
rendered once per (role, language, current entry) and reused, since every page view would otherwise
rebuild some fifty links through the template engine (a tenth of a list page's time). Its HTML is
`templates/_nav.html`; what it holds and which entry is current is decided here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Environment, pass_environment
from markupsafe import Markup

from server.core.i18n import current_locale, template_gettext
from server.models import User

ANY = ("officer", "supervisor", "admin")
REVIEWERS = ("supervisor", "admin")


@dataclass(frozen=True)
class Entry:
    href: str
    label: str  # message id
    roles: tuple[str, ...] = ANY
    also: tuple[str, ...] = ()  # other path prefixes whose pages this entry stands for


# (group code, heading message id, entries), in the order the menu shows them.
GROUPS: tuple[tuple[str, str, tuple[Entry, ...]], ...] = (
    ("work", "The program's work", (
        Entry("/", "Home"),
        Entry("/field", "Field work", ("officer",)),
        Entry("/villages", "Villages"),
        Entry("/sages", "Sages"),
        Entry("/teams", "Trainer teams"),
        Entry("/trainings", "Trainings"),
        Entry("/households", "Households"),
        Entry("/groups", "Groups"),
        Entry("/partners", "Partners"),
    )),
    ("review", "Checking", (
        Entry("/review", "Review"),
        Entry("/signoff", "Rounds to sign off", REVIEWERS),
    )),
    ("reports", "Reports", (
        Entry("/progress", "Progress"),
        Entry("/outcomes", "Outcomes"),
        Entry("/reports", "Exports and print", also=("/print",)),
    )),
    ("settings", "Settings", (
        Entry("/devices", "Devices"),
        Entry("/admin/users", "Users", ("admin",)),
        Entry("/admin/config", "Settings", ("admin",)),
        Entry("/admin/audit", "Audit log", ("admin",)),
    )),
)


def current_entry(role: str, path: str) -> str | None:
    """The href of the menu entry the page at `path` belongs to (the first that matches), if any."""
    for _code, _title, entries in GROUPS:
        for entry in entries:
            if role not in entry.roles:
                continue
            hit = path == "/" if entry.href == "/" else (path == entry.href or path.startswith(entry.href + "/"))
            if hit or any(path.startswith(prefix) for prefix in entry.also):
                return entry.href
    return None


@pass_environment
def main_menu(env: Environment, user: User, path: str) -> Markup:
    """The menu for `user` on the page at `path`, in the reader's language (`{{ main_menu(user, path) }}`)."""
    return _menu_html(env, user.role, current_locale.get(), current_entry(user.role, path))


@lru_cache(maxsize=256)
def _menu_html(env: Environment, role: str, locale: str, current: str | None) -> Markup:
    # `locale` is the language current while this renders (a key: the words are read in it). The words are
    # the catalogs', trusted as the templates' `_()` are.
    groups = [(code, template_gettext(title), [(e.href, template_gettext(e.label)) for e in entries if role in e.roles])
              for code, title, entries in GROUPS]
    here = next(((code, label) for code, _t, items in groups for href, label in items if href == current),
                (None, None))
    menu = env.get_template("_nav.html").module.main_menu  # type: ignore[attr-defined]
    return Markup(menu(groups, current, here[0], here[1]))
