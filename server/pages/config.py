"""Configuration for administrators: poverty lines, targets, the 5 ก checklist, occupations, follow-up."""
from __future__ import annotations

import json
import re
from typing import Any

from litestar import Router, get, post
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.web.guards import admins
from server.audit.log import audit
from server.auth.access import NotFoundInArea
from server.auth.areas import row_by_id
from server.config.editing import configuration_lists, overlapping_poverty_line, set_setting
from server.config.values import follow_up_months, households_per_village
from server.core.i18n import gettext_
from server.models import FiveKElement, Occupation, PovertyLine, User
from server.program.field_checks import check_text
from server.program.rules import check_poverty_line
from server.web.forms import Form, FormState, int_value, text_value
from server.web.templates import render
from server.config.values import rank_by_welfare_card

CODE = re.compile(r"[a-z0-9_]{2,32}")


def _page(db: Session, user: User, *, forms: dict[str, FormState] | None = None, status_code: int = 200,
          saved: bool = False) -> Template:
    forms = forms or {}
    forms.setdefault("settings", FormState(values={
        "households_per_village": households_per_village(db),
        "follow_up_months": ", ".join(str(m) for m in follow_up_months(db)),
        "rank_by_welfare_card": rank_by_welfare_card(db)}))
    forms.setdefault("poverty_new", FormState())
    forms.setdefault("five_k_new", FormState())
    forms.setdefault("occupation_new", FormState(values={"kind": "trade"}))
    lists = configuration_lists(db)
    return render("config.html", user=user, forms=forms, status_code=status_code, saved=saved,
                  poverty_lines=lists.poverty_lines, elements=lists.elements, occupations=lists.occupations)


@get("/admin/config", sync_to_thread=True)
def config_page(db: Session, user: User) -> Template:
    return _page(db, user)


@post("/admin/config/settings", sync_to_thread=True)
def save_settings(db: Session, user: User, data: Form) -> Template | Redirect:
    form = FormState(values={**{k: text_value(data, k) or "" for k in ("households_per_village", "follow_up_months")},
                             "rank_by_welfare_card": bool(data.get("rank_by_welfare_card"))})
    target = int_value(form, data, "households_per_village", required=True)
    if target is not None and not 1 <= target <= 500:
        form.error("households_per_village", gettext_("Between 1 and 500."))
    months: list[int] = []
    for part in (text_value(data, "follow_up_months") or "").replace(" ", "").split(","):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 60:
            form.error("follow_up_months", gettext_("Months after training, separated by commas, e.g. 3, 6, 12"))
            break
        months.append(int(part))
    if not months:
        form.error("follow_up_months", gettext_("Months after training, separated by commas, e.g. 3, 6, 12"))
    if not form.ok:
        return _page(db, user, forms={"settings": form}, status_code=422)
    set_setting(db, key="households_per_village", value=str(target))
    set_setting(db, key="follow_up_months", value=json.dumps(sorted(set(months))))
    set_setting(db, key="rank_by_welfare_card", value="1" if data.get("rank_by_welfare_card") else "0")
    audit(db, action="update", entity="app_setting", user_id=user.id,
          detail={"households_per_village": target, "follow_up_months": sorted(set(months)),
                  "rank_by_welfare_card": bool(data.get("rank_by_welfare_card"))})
    db.commit()
    return Redirect(path="/admin/config?saved=1")


def _poverty(db: Session, form: FormState, data: dict[str, Any],
             editing: int | None = None) -> tuple[int | None, int | None, int | None]:
    values = (int_value(form, data, "from_year", required=True), int_value(form, data, "to_year", required=True),
              int_value(form, data, "amount", required=True))
    if form.ok:
        form.add(check_poverty_line(*values))
    if form.ok:
        # One line per fiscal year: selection reads the line of the period covering the year.
        start, end, _amount = values
        other = overlapping_poverty_line(db, start=start, end=end, editing=editing)
        if other is not None:
            form.error("from_year", gettext_("Overlaps the period {start}–{end}: plan periods must not overlap.")
                       .format(start=other.from_year, end=other.to_year))
    return values


@post("/admin/config/poverty-lines", sync_to_thread=True)
def add_poverty_line(db: Session, user: User, data: Form) -> Template | Redirect:
    form = FormState(values={k: text_value(data, k) or "" for k in ("from_year", "to_year", "amount")})
    start, end, amount = _poverty(db, form, data)
    if not form.ok:
        return _page(db, user, forms={"poverty_new": form}, status_code=422)
    line = PovertyLine(from_year=start, to_year=end, amount=amount)
    db.add(line)
    db.flush()
    audit(db, action="create", entity="poverty_line", record_id=str(line.id), user_id=user.id,
          detail={"from": start, "to": end, "amount": amount})
    db.commit()
    return Redirect(path="/admin/config?saved=1#poverty")


@post("/admin/config/poverty-lines/{line_id:int}", sync_to_thread=True)
def update_poverty_line(db: Session, user: User, line_id: int, data: Form) -> Template | Redirect:
    line = row_by_id(db, PovertyLine, line_id)
    if line is None:
        raise NotFoundInArea()
    if data.get("delete"):
        db.delete(line)
        audit(db, action="delete", entity="poverty_line", record_id=str(line_id), user_id=user.id)
        db.commit()
        return Redirect(path="/admin/config?saved=1#poverty")
    form = FormState(values={k: text_value(data, k) or "" for k in ("from_year", "to_year", "amount")})
    start, end, amount = _poverty(db, form, data, editing=line.id)
    if not form.ok:
        return _page(db, user, forms={f"poverty_{line_id}": form}, status_code=422)
    line.from_year, line.to_year, line.amount = start, end, amount
    db.add(line)
    audit(db, action="update", entity="poverty_line", record_id=str(line_id), user_id=user.id,
          detail={"from": start, "to": end, "amount": amount})
    db.commit()
    return Redirect(path="/admin/config?saved=1#poverty")


def _named(form: FormState, data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    values = {name: text_value(data, name) for name in names}
    for name in names:
        form.add(check_text(name, values[name], max_length=300, optional=False))
    return values


@post("/admin/config/five-k", sync_to_thread=True)
def save_five_k(db: Session, user: User, data: Form) -> Template | Redirect:
    """Add an element (new code) or change one (existing code); an element can also be deleted."""
    code = (text_value(data, "code") or "").lower()
    key = f"five_k_{code}" if db.get(FiveKElement, code) else "five_k_new"
    names = ("name_th", "name_en", "criterion_th", "criterion_en")
    form = FormState(values={k: text_value(data, k) or "" for k in names + ("code", "sort_order")})
    element = db.get(FiveKElement, code)
    if element is not None and data.get("delete"):
        db.delete(element)
        audit(db, action="delete", entity="five_k_element", record_id=code, user_id=user.id)
        db.commit()
        return Redirect(path="/admin/config?saved=1#five-k")
    if not CODE.fullmatch(code):
        form.error("code", gettext_("2–32 characters: letters a–z, digits or underscore."))
    values = _named(form, data, names)
    order = int_value(form, data, "sort_order") or 0
    if not form.ok:
        return _page(db, user, forms={key: form}, status_code=422)
    element = element or FiveKElement(code=code, **values)
    for name, value in values.items():
        setattr(element, name, value)
    element.sort_order = order
    db.add(element)
    audit(db, action="update", entity="five_k_element", record_id=code, user_id=user.id)
    db.commit()
    return Redirect(path="/admin/config?saved=1#five-k")


@post("/admin/config/occupations", sync_to_thread=True)
def save_occupation(db: Session, user: User, data: Form) -> Template | Redirect:
    """Add an occupation or group category (new code) or rename / retire one (existing code)."""
    code = (text_value(data, "code") or "").lower()
    occupation = db.get(Occupation, code)
    key = f"occupation_{code}" if occupation else "occupation_new"
    form = FormState(values={**{k: text_value(data, k) or "" for k in ("code", "name_th", "name_en", "kind",
                                                                        "sort_order")},
                             "active": bool(data.get("active"))})
    if not CODE.fullmatch(code):
        form.error("code", gettext_("2–32 characters: letters a–z, digits or underscore."))
    kind = text_value(data, "kind") or (occupation.kind if occupation else None)
    if kind not in ("trade", "group_category", "funding_source"):
        form.error("kind", gettext_("Choose a kind."))
    values = _named(form, data, ("name_th", "name_en"))
    order = int_value(form, data, "sort_order") or 0
    if not form.ok:
        return _page(db, user, forms={key: form}, status_code=422)
    occupation = occupation or Occupation(code=code, kind=kind, **values)
    occupation.kind = kind
    occupation.name_th, occupation.name_en = values["name_th"], values["name_en"]
    occupation.sort_order = order
    # Retired occupations stay in the table: trainings and households that use them keep their names.
    occupation.active = bool(data.get("active")) if key != "occupation_new" else True
    db.add(occupation)
    audit(db, action="update", entity="occupation", record_id=code, user_id=user.id)
    db.commit()
    return Redirect(path="/admin/config?saved=1#occupations")


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[admins], route_handlers=[config_page, save_settings, add_poverty_line, update_poverty_line, save_five_k, save_occupation]),
]
