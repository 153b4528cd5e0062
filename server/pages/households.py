"""The household register of a village: add, edit, search, and import from CSV or XLSX."""
from __future__ import annotations

from typing import Annotated, Any

from litestar import Router, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Response, Template
from sqlmodel import Session

from server.web.audited import shows_personal_data
from server.web.guards import public, signed_in
from server.audit.log import audit
from server.auth.areas import (
    area_villages,
    may_place_in_village,
    record_in_area,
    village_options,
)
from server.config.values import occupation_names, poverty_line
from server.core.dates import current_fiscal_year
from server.core.i18n import current_locale, gettext_
from server.core.numbers import parse_int
from server.models import Household, ImportPreview, User
from server.program.household_register import household_page_rows
from server.program.import_previews import forget_previews, take_preview, waiting_list
from server.program.field_checks import normalize_citizen_id
from server.program import district_lists
from server.program.household_import import (
    ImportFormatError,
    check_rows,
    column_labels,
    read_upload,
    template_csv,
    template_xlsx,
)
from server.program.rules import income_per_person
from server.synced.write import Refused, Stale, problems, save_synced
from server.web.forms import (
    Form,
    FormState,
    form_seq,
    int_value,
    is_stale,
    stale_notice,
    text_value,
    typed_differences,
)
from server.web.templates import render, wants_fragment
from server.review import needs_fix
from server.program.upload_tables import MAX_FILE_BYTES, TableBusy, reading_slot

HOUSEHOLDS_PER_PAGE = 50
HOUSEHOLD_FIELDS = ("village_id", "house_no", "head_name", "citizen_id", "members", "annual_income",
                    "phone", "consent", "interest", "welfare_card", "note")


def welfare_card_value(text: str | None) -> bool | None:
    """The form's choice of the welfare card: yes, no, or not known (blank)."""
    return {"yes": True, "no": False}.get((text or "").strip())


def welfare_card_choice(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def _context(db: Session, user: User) -> dict[str, Any]:
    villages = area_villages(db, user)
    return {"villages": villages, "village_options": village_options(villages),
            "village_names": {v.id: v.name for v, _s in villages},
            "trade_options": list(occupation_names(db, kind="trade", active_only=True).items()),
            "welfare_options": [("yes", gettext_("Holds the state welfare card")),
                                ("no", gettext_("Does not hold the state welfare card"))],
            "occupation_names": occupation_names(db)}


@get("/households", sync_to_thread=True)
@shows_personal_data("household")
def household_list(request: Request, db: Session, user: User) -> Template:
    """One page of the register: filtered, counted, sorted (village code, house number read
    naturally) and paged by the database."""
    params = {k: request.query_params.get(k) or "" for k in ("village", "q", "imported")}
    page, households = household_page_rows(db, user=user, filters=params, page=request.query_params.get("page"),
                                           per_page=HOUSEHOLDS_PER_PAGE)
    fiscal_year = current_fiscal_year()
    fragment = wants_fragment(request)
    return render("_household_rows.html" if fragment else "households.html", user=user, households=households,
                  params=params, fiscal_year=fiscal_year,
                  **page.context("/households", {"village": params["village"], "q": params["q"]}),
                  poverty_line=poverty_line(db, fiscal_year), per_person=income_per_person, **_context(db, user))


def _values(household: Household) -> dict[str, Any]:
    return {"village_id": household.village_id, "house_no": household.house_no, "head_name": household.head_name,
            "citizen_id": household.citizen_id or "", "members": household.members,
            "annual_income": household.annual_income, "phone": household.phone or "",
            "interest": household.interest or "", "consent": household.consent, "note": household.note or "",
            "welfare_card": welfare_card_choice(household.welfare_card), "seq": household.seq}


def _read_form(db: Session, user: User, data: dict[str, Any], editing: Household | None) -> tuple[FormState, dict]:
    form = FormState(values={**{k: text_value(data, k) or "" for k in HOUSEHOLD_FIELDS + ("seq",)},
                             "consent": bool(data.get("consent"))})
    clean: dict[str, Any] = {
        "village_id": text_value(data, "village_id"), "house_no": text_value(data, "house_no"),
        "head_name": text_value(data, "head_name"),
        "citizen_id": normalize_citizen_id(text_value(data, "citizen_id")),
        "members": int_value(form, data, "members", required=True),
        "annual_income": int_value(form, data, "annual_income", required=True),
        "phone": text_value(data, "phone"), "interest": text_value(data, "interest"),
        "welfare_card": welfare_card_value(text_value(data, "welfare_card")),
        "consent": bool(data.get("consent")), "note": text_value(data, "note"),
    }
    if not clean["village_id"] or not may_place_in_village(db, user, clean["village_id"]):
        form.error("village_id", gettext_("Choose a village in your area."))
    # The household rules a phone's push and the import meet too (a citizen ID registered once...);
    # they are checked again under the lock when the household is saved.
    form.add(problems(db, "household", clean, record_id=editing.id if editing is not None else ""))
    db.commit()  # nothing is written yet, but a citizen ID found registered is audited (household_rules)
    return form, clean


def _typed_differences(household: Household, data: dict[str, Any],
                       context: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, typed, saved now) for each field where a refused stale save differs from the record."""
    labels = {"village_id": gettext_("Village"), **column_labels(),
              "consent": gettext_("The household was given the privacy notice and agrees to take part")}
    villages, trades = context["village_names"], context["occupation_names"]

    def shown(name: str, value: Any) -> str:
        if name == "consent":
            return gettext_("yes") if value else gettext_("no")
        text = "" if value is None else str(value)
        if name == "village_id":
            return villages.get(text, text)
        if name == "interest":
            return trades.get(text, text)
        if name == "welfare_card":
            return {"yes": gettext_("yes"), "no": gettext_("no")}.get(text, "")
        if name in ("members", "annual_income") and parse_int(text) is not None:
            return str(parse_int(text))  # 31,000 typed is the 31000 saved
        return text

    typed = {name: bool(data.get("consent")) if name == "consent" else (text_value(data, name) or "")
             for name in HOUSEHOLD_FIELDS}
    return typed_differences(HOUSEHOLD_FIELDS, typed, _values(household), labels, shown)


@get("/households/new", sync_to_thread=True)
def household_new(request: Request, db: Session, user: User) -> Template:
    form = FormState(values={"village_id": request.query_params.get("village") or "", "members": 1})
    return render("household_form.html", user=user, form=form, household=None, **_context(db, user))


@post("/households", sync_to_thread=True)
def household_create(db: Session, user: User, data: Form) -> Template | Redirect:
    form, clean = _read_form(db, user, data, None)
    if not form.ok:
        return render("household_form.html", user=user, form=form, household=None, status_code=422,
                      **_context(db, user))
    household = Household()
    try:
        save_synced(db, household, entity="household", values=clean, user=user)
    except Refused as refused:  # another writer got there between the form's check and the save
        form.add(refused.errors)
        return render("household_form.html", user=user, form=form, household=None, status_code=422,
                      **_context(db, user))
    db.commit()
    return Redirect(path=f"/households?village={household.village_id}")


@get("/households/{household_id:str}/edit", sync_to_thread=True)
@shows_personal_data("household", record="household_id")
def household_edit(request: Request, db: Session, user: User, household_id: str) -> Template:
    household = record_in_area(db, user, Household, household_id)
    return render("household_form.html", user=user, form=FormState(values=_values(household)),
                  household=household, fix=needs_fix.for_household(db, user, household),
                  done=request.query_params.get("done"), **_context(db, user))


def _stale_form(db: Session, user: User, household: Household, data: dict[str, Any]) -> Template:
    """The form shows what is saved now; what this user typed is listed beside it, so nothing typed is lost."""
    context = _context(db, user)
    return render("household_form.html", user=user, form=FormState(values=_values(household)),
                  household=household, notice=stale_notice(), status_code=409,
                  yours=_typed_differences(household, data, context), **context)


@post("/households/{household_id:str}", sync_to_thread=True)
def household_update(db: Session, user: User, household_id: str, data: Form) -> Template | Redirect:
    household = record_in_area(db, user, Household, household_id)
    if is_stale(data, household):
        return _stale_form(db, user, household, data)
    form, clean = _read_form(db, user, data, household)
    if not form.ok:
        return render("household_form.html", user=user, form=form, household=household, status_code=422,
                      **_context(db, user))
    try:
        # A household moved to another village takes its enrollments, attendance and surveys along.
        save_synced(db, household, entity="household", values=clean, user=user, expected_seq=form_seq(data))
    except Stale:
        return _stale_form(db, user, household, data)
    except Refused as refused:
        form.add(refused.errors)
        return render("household_form.html", user=user, form=form, household=household, status_code=422,
                      **_context(db, user))
    db.commit()
    return Redirect(path=f"/households?village={household.village_id}")


# --- import -------------------------------------------------------------------------------------

@get("/households/import", sync_to_thread=True)
def import_page(db: Session, user: User) -> Template:
    return render("household_import.html", user=user, rows=None, error=None, columns=column_labels())


@get("/households/import/template.csv", sync_to_thread=True)
def import_template() -> Response:
    return Response(content=template_csv(), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="households.csv"'})


@get("/households/import/template.xlsx", sync_to_thread=True)
def import_template_xlsx() -> Response:
    return Response(content=template_xlsx(),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="households.xlsx"'})


def _preview(db: Session, user: User, rows: list[dict[str, str]], *, status_code: int = 200,
             ignored: list[str] | None = None) -> Template:
    """Check the rows and show them; rows that check out are kept on the server until confirmed, so the
    page (and the form posted back) carries only the preview's id, never a citizen ID in full."""
    checked = check_rows(db, user, rows)
    bad = sum(1 for r in checked if r.errors)
    preview_id = None
    if checked and not bad:
        preview = ImportPreview(user_id=user.id, rows=rows)
        db.add(preview)
        preview_id = preview.id
    db.commit()
    return render("household_import.html", user=user, rows=checked, bad=bad, error=None, columns=column_labels(),
                  preview_id=preview_id, village_names=_context(db, user)["village_names"], ignored=ignored or [],
                  status_code=status_code if not bad else 422)


@post("/households/import", sync_to_thread=True)
def import_upload(db: Session, user: User, data: Upload) -> Template:
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return render("household_import.html", user=user, rows=None, columns=column_labels(), status_code=422,
                      error=gettext_("Choose a .csv or .xlsx file to upload."))
    try:
        # A slot of the process's few: reading a file is the costly part, and a bomb must not take
        # every thread while other users wait.
        with reading_slot():
            content = upload.file.read(MAX_FILE_BYTES + 1)
            headers, raw = district_lists.read_any(upload.filename, content)
            if district_lists.needs_mapping(headers):
                # A district's own list: its columns are mapped first (the rows wait on the server).
                forget_previews(db, user=user)
                waiting = ImportPreview(user_id=user.id, rows=raw, headers=headers)
                db.add(waiting)
                audit(db, action="import_preview", entity="household", user_id=user.id,
                      detail={"file": upload.filename[:120], "rows": len(raw), "mapping": True})
                db.commit()
                return _mapping_page(db, user, waiting)
            table = read_upload(upload.filename, content)
    except TableBusy as exc:
        return render("household_import.html", user=user, rows=None, columns=column_labels(), status_code=503,
                      error=str(exc), headers={"Retry-After": "5"})
    except ImportFormatError as exc:
        return render("household_import.html", user=user, rows=None, columns=column_labels(), status_code=422,
                      error=str(exc))
    forget_previews(db, user=user)
    audit(db, action="import_preview", entity="household", user_id=user.id,
          detail={"file": upload.filename[:120], "rows": len(table.rows)})
    return _preview(db, user, table.rows, ignored=table.ignored)


def _mapping_page(db: Session, user: User, waiting: ImportPreview, *, chosen: dict[str, str] | None = None,
                  name: str | None = None, problems: list[str] | None = None, status_code: int = 200) -> Template:
    """Each column of the file with what it holds, and what it maps to: the district's mapping saved for
    these headers when there is one (offered, and named), else a guess from the headers."""
    headers = list(waiting.headers or [])
    district = district_lists.user_district(db, user)
    saved = district_lists.saved_mapping(db, district, headers)
    if chosen is None:
        chosen = dict(saved.columns) if saved is not None else district_lists.guess(headers)
    return render("household_import_map.html", user=user, preview_id=waiting.id, file_headers=headers,
                  samples=district_lists.samples(headers, waiting.rows), targets=district_lists.targets(),
                  chosen=chosen, saved=saved, name=name if name is not None else (saved.name if saved else ""),
                  can_save=district is not None, problems=problems or [], rows=len(waiting.rows),
                  status_code=status_code)


@post("/households/import/map", sync_to_thread=True)
def import_map(db: Session, user: User, data: Form) -> Template:
    """Read the waiting list through the mapping chosen (saved by name for the district when named), then
    check its rows like any import's."""
    waiting = waiting_list(db, user=user, preview_id=text_value(data, "preview_id"))
    if waiting is None:
        return render("household_import.html", user=user, rows=None, columns=column_labels(), status_code=422,
                      error=gettext_("The preview has expired or was not found; upload the file again."))
    headers = list(waiting.headers or [])
    known = district_lists.targets()
    chosen = {header: target for index, header in enumerate(headers)
              if (target := text_value(data, f"column_{index}") or "") in known}
    name = (text_value(data, "mapping_name") or "").strip()[:120]
    problems = district_lists.check_mapping(chosen)
    if problems:
        return _mapping_page(db, user, waiting, chosen=chosen, name=name, problems=problems, status_code=422)
    district = district_lists.user_district(db, user)
    if name and district is not None:
        district_lists.save_mapping(db, district=district, name=name, headers=headers, mapping=chosen, user=user)
        audit(db, action="update", entity="import_mapping", user_id=user.id,
              detail={"name": name, "district": district, "columns": len(chosen)})
    rows = district_lists.convert(db, user, chosen, waiting.rows)
    db.delete(waiting)
    return _preview(db, user, rows)


@post("/households/import/confirm", sync_to_thread=True)
def import_confirm(db: Session, user: User, data: Form) -> Template | Redirect:
    """Write every row or none: the stored rows are checked again, and one error rejects the whole file."""
    rows = take_preview(db, user=user, preview_id=text_value(data, "preview_id"))
    if rows is None:
        db.commit()  # an expired preview of this user is gone either way
        return render("household_import.html", user=user, rows=None, columns=column_labels(), status_code=422,
                      error=gettext_("The preview has expired or was not found; upload the file again."))
    checked = check_rows(db, user, rows)
    if not checked or any(r.errors for r in checked):
        db.commit()
        return render("household_import.html", user=user, rows=checked, bad=sum(1 for r in checked if r.errors),
                      error=None, columns=column_labels(), preview_id=None, status_code=422)
    villages: set[str] = set()
    for row in checked:
        try:
            save_synced(db, Household(), entity="household", values=row.clean, user=user,
                        audit_detail={"via": "import"})
        except Refused as refused:  # written by someone else since the check: nothing of the file is kept
            for error in refused.errors:
                row.error(error.field, error.message(current_locale.get()))
            return render("household_import.html", user=user, rows=checked, error=None, columns=column_labels(),
                          bad=sum(1 for r in checked if r.errors), preview_id=None, status_code=422)
        villages.add(row.clean["village_id"])
    audit(db, action="import", entity="household", user_id=user.id,
          detail={"rows": len(checked), "villages": sorted(villages)})
    db.commit()
    target = f"/households?imported={len(checked)}"
    if len(villages) == 1:
        target += f"&village={next(iter(villages))}"
    return Redirect(path=target)


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[signed_in], route_handlers=[household_list, household_new, household_create, household_edit,
                                                         household_update, import_page, import_upload, import_map,
                                                         import_confirm]),
    Router(path="/", guards=[public], route_handlers=[import_template, import_template_xlsx]),
]
