"""Office forms: the posted values, their parsing into typed values, and the state a form is shown again with."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar.enums import RequestEncodingType
from litestar.params import Body

from server.core.dates import (
    DateInputError,
    parse_date,
)
from server.core.i18n import current_locale, gettext_
from server.core.numbers import ascii_digits, parse_int
from server.program.field_checks import FieldError


def text_value(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def int_value(form: FormState, data: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    """A whole number typed by a person (commas allowed); a message on the field when it is not."""
    raw = text_value(data, name)
    if raw is None:
        if required:
            form.error(name, gettext_("This field is required"))
        return None
    value = parse_int(raw)
    if value is None:
        if re.fullmatch(r"[+-]?[0-9]+", ascii_digits(raw)):
            form.error(name, gettext_("This number is too large."))
        else:
            form.error(name, gettext_("Type a whole number, e.g. 36000"))
    return value


def date_value(form: FormState, data: dict[str, Any], name: str, *, required: bool = False):  # noqa: ANN201
    """A date typed as 24/11/2569 (BE) or picked from a date input; a message when it is not."""
    raw = text_value(data, name)
    if raw is None:
        if required:
            form.error(name, gettext_("This field is required"))
        return None
    try:
        return parse_date(raw)
    except DateInputError:
        form.error(name, gettext_("Not a valid date: type day/month/year in the Buddhist Era, e.g. 24/11/2569"))
        return None


def is_stale(data: dict[str, Any], record: Any) -> bool:
    """True when the record changed after the form was loaded (its `seq` moved on)."""
    raw = text_value(data, "seq")
    try:
        return raw is not None and int(raw) != record.seq
    except ValueError:
        return True


def form_seq(data: dict[str, Any]) -> int | None:
    """The seq a record had when its form was loaded (None: the form carries none). A garbled one is
    -1, which no record has, so the save is refused as stale, as `is_stale` answers it."""
    raw = text_value(data, "seq")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1


def stale_notice() -> str:
    return gettext_("Someone else saved this record after you opened the form. Nothing was saved: "
                     "the current values are shown below — review them and save again.")


def typed_differences(fields: Iterable[str], typed: dict[str, Any], saved: dict[str, Any], labels: dict[str, str],
                      shown: Callable[[str, Any], str] | None = None) -> list[tuple[str, str, str]]:
    """(label, typed, saved now) for each field where a refused stale save differs from the record, so the
    form can show the current values while nothing the user typed is lost. `shown` turns a value (typed
    text or saved value) into what a person reads, so that equal values compare equal."""
    def as_text(name: str, value: Any) -> str:
        if shown is not None:
            return shown(name, value)
        return "" if value is None else str(value).strip()

    rows = []
    for name in fields:
        mine, theirs = as_text(name, typed.get(name)), as_text(name, saved.get(name))
        if mine != theirs:
            rows.append((labels.get(name, name), mine, theirs))
    return rows


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
