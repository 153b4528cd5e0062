"""The sage registry (ทะเบียนปราชญ์ชุมชน) and each village's trainer team for a fiscal year."""
from __future__ import annotations

from typing import Any

from litestar import Router, Request, get, post
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.web.audited import shows_personal_data
from server.web.guards import signed_in
from server.auth.access import NotFoundInArea
from server.auth.areas import (
    area_subdistricts,
    area_villages,
    may_place_in_village,
    record_in_area,
    row_by_id,
    village_in_area,
    village_options,
)
from server.config.values import occupation_names, occupations
from server.core.dates import DateInputError, current_fiscal_year, parse_date, to_input
from server.core.i18n import gettext_
from server.models import (
    Sage,
    TeamMember,
    TrainerTeam,
    User,
    Village,
)
from server.program.sage_registry import sage_page_rows
from server.program.trainer_teams import (
    is_team_member,
    leads_elsewhere,
    sage_for_team,
    team_candidates,
    team_members,
    team_page_rows,
    trains_elsewhere,
    village_team,
    village_trainings,
)
from server.program.field_checks import normalize_citizen_id
from server.synced.write import Refused, Stale, problems, save_synced
from server.review import needs_fix
from server.program.rules import (
    TEAM_SIZE,
    check_one_team_a_year,
    check_team_lead,
    check_team_member,
    team_missing,
)
from server.web.forms import (
    Form,
    FormState,
    as_list,
    date_value,
    form_seq,
    is_stale,
    stale_notice,
    text_value,
    typed_differences,
)
from server.web.templates import render, wants_fragment

SAGES_PER_PAGE = 50
TEAMS_PER_PAGE = 50
# Who found a sage (step 3): stored as these Thai names (or free text), shown in the user's language.
FOUND_BY = ("ศอช.ต.", "อช.", "ผู้นำ อช.", "กำนัน", "ผู้ใหญ่บ้าน", "ผู้นำชุมชน")


def found_by_labels() -> dict[str, str]:
    return dict(zip(FOUND_BY, (gettext_("Subdistrict community-organisation coordination centre"),
                               gettext_("Community-development volunteers"),
                               gettext_("Leaders of community-development volunteers"), gettext_("Kamnan"),
                               gettext_("Village head"), gettext_("Community leaders"))))


# --- the registry -------------------------------------------------------------------------------

def _sage_context(db: Session, user: User) -> dict[str, Any]:
    villages = area_villages(db, user)
    return {"villages": villages, "village_options": village_options(villages), "village_names": {v.id: v.name for v, _s in villages},
            "subdistricts": area_subdistricts(db, user), "trades": occupations(db),
            "occupation_names": occupation_names(db), "found_by_choices": FOUND_BY,
            "found_by_labels": found_by_labels()}


def _sage_values(sage: Sage, trade_codes: set[str]) -> dict[str, Any]:
    return {"village_id": sage.village_id, "name": sage.name, "citizen_id": sage.citizen_id or "",
            "phone": sage.phone or "", "skills": [s for s in sage.skills if s in trade_codes],
            "skills_note": sage.skills_note or "",
            "found_by": sage.found_by or "", "workshop_date": to_input(sage.workshop_date), "note": sage.note or "",
            "seq": sage.seq}


@get("/sages", sync_to_thread=True)
@shows_personal_data("sage")
def sage_list(request: Request, db: Session, user: User) -> Template:
    """One page of the registry, by name: filtered, counted and paged by the database."""
    params = {k: request.query_params.get(k) or "" for k in ("q", "village", "subdistrict", "skill")}
    page, sages = sage_page_rows(db, user=user, filters=params, page=request.query_params.get("page"),
                                 per_page=SAGES_PER_PAGE)
    fragment = wants_fragment(request)
    return render("_sage_rows.html" if fragment else "sages.html", user=user, sages=sages, params=params,
                  **page.context("/sages", params), **_sage_context(db, user))


def _read_sage_form(db: Session, user: User, data: dict[str, Any]) -> tuple[FormState, dict[str, Any]]:
    """The typed values, checked; returns the form (values + errors) and the clean record fields."""
    skills = as_list(data, "skills")
    form = FormState(values={**{k: text_value(data, k) or "" for k in
                                ("village_id", "name", "citizen_id", "phone", "found_by", "note",
                                 "skills_note", "seq", "workshop_date")}, "skills": skills})
    clean: dict[str, Any] = {
        "village_id": text_value(data, "village_id"), "name": text_value(data, "name"),
        "citizen_id": normalize_citizen_id(text_value(data, "citizen_id")),
        "phone": text_value(data, "phone"), "skills": list(dict.fromkeys(skills)),
        "skills_note": text_value(data, "skills_note"),
        "found_by": text_value(data, "found_by"), "note": text_value(data, "note"),
        "workshop_date": date_value(form, data, "workshop_date"),
    }
    if not clean["village_id"]:
        form.error("village_id", gettext_("This field is required"))
    elif not may_place_in_village(db, user, clean["village_id"]):
        form.error("village_id", gettext_("Choose a village in your area."))
    form.add(problems(db, "sage", clean, record_id=""))  # the sage rules a phone's push meets too
    return form, clean


def _sage_typed_differences(sage: Sage, data: dict[str, Any], context: dict[str, Any]) -> list[tuple[str, str, str]]:
    """What a refused stale save typed, beside the sage's values saved now (only the fields that differ)."""
    trade_codes = {t.code for t in context["trades"]}
    villages, trades = context["village_names"], context["occupation_names"]
    fields = ("name", "village_id", "phone", "citizen_id", "skills", "skills_note", "found_by", "workshop_date",
              "note")
    labels = {"name": gettext_("Name"), "village_id": gettext_("Village"), "phone": gettext_("Phone"),
              "citizen_id": gettext_("Citizen ID (optional)"), "skills": gettext_("Skills"),
              "skills_note": gettext_("Other skills"), "found_by": gettext_("Found by"),
              "workshop_date": gettext_("Attended the provincial trainer workshop on"), "note": gettext_("Note")}

    def shown(name: str, value: Any) -> str:
        if name == "skills":
            return ", ".join(sorted(trades.get(code, code) for code in set(value or [])))
        text = "" if value is None else str(value).strip()
        if name == "village_id":
            return villages.get(text, text)
        if name == "citizen_id":
            return normalize_citizen_id(text) or text
        if name == "workshop_date":
            try:
                return to_input(parse_date(text))  # 2026-11-24 typed is the 24/11/2569 saved
            except DateInputError:
                return text
        return text

    typed = {**{name: text_value(data, name) or "" for name in fields},
             "skills": [s for s in as_list(data, "skills") if s in trade_codes]}
    return typed_differences(fields, typed, _sage_values(sage, trade_codes), labels, shown)


@get("/sages/new", sync_to_thread=True)
def sage_new(request: Request, db: Session, user: User) -> Template:
    form = FormState(values={"village_id": request.query_params.get("village") or "", "skills": []})
    return render("sage_form.html", user=user, form=form, sage=None, **_sage_context(db, user))


@post("/sages", sync_to_thread=True)
def sage_create(db: Session, user: User, data: Form) -> Template | Redirect:
    form, clean = _read_sage_form(db, user, data)
    if not form.ok:
        return render("sage_form.html", user=user, form=form, sage=None, status_code=422,
                      **_sage_context(db, user))
    sage = Sage()
    save_synced(db, sage, entity="sage", values=clean, user=user)
    db.commit()
    return Redirect(path=f"/sages?village={sage.village_id}")


@get("/sages/{sage_id:str}/edit", sync_to_thread=True)
@shows_personal_data("sage", record="sage_id")
def sage_edit(request: Request, db: Session, user: User, sage_id: str) -> Template:
    sage = record_in_area(db, user, Sage, sage_id)
    # The edit form shows the full citizen ID, so opening it is recorded like any other look at one.
    context = _sage_context(db, user)
    form = FormState(values=_sage_values(sage, {t.code for t in context["trades"]}))
    if wants_fragment(request):
        return render("_sage_edit_row.html", user=user, form=form, sage=sage, **context)
    fix = needs_fix.for_records(db, user, [("sage", sage.id)], back=f"/sages/{sage.id}/edit")
    return render("sage_form.html", user=user, form=form, sage=sage, fix=fix, done=request.query_params.get("done"),
                  **context)


@get("/sages/{sage_id:str}/row", sync_to_thread=True)
@shows_personal_data("sage", record="sage_id")
def sage_row(request: Request, db: Session, user: User, sage_id: str) -> Template:
    sage = record_in_area(db, user, Sage, sage_id)
    return render("_sage_row.html", user=user, sage=sage, **_sage_context(db, user))


def _stale_sage(template: str, user: User, sage: Sage, data: dict[str, Any], context: dict[str, Any]) -> Template:
    """The form shows what is saved now; what this user typed is listed beside it, so nothing typed is lost."""
    form = FormState(values=_sage_values(sage, {t.code for t in context["trades"]}))
    return render(template, user=user, form=form, sage=sage, notice=stale_notice(), status_code=409,
                  yours=_sage_typed_differences(sage, data, context), **context)


@post("/sages/{sage_id:str}", sync_to_thread=True)
def sage_update(request: Request, db: Session, user: User, sage_id: str, data: Form) -> Template | Redirect:
    sage = record_in_area(db, user, Sage, sage_id)
    context = _sage_context(db, user)
    template = "_sage_edit_row.html" if wants_fragment(request) else "sage_form.html"
    if is_stale(data, sage):
        return _stale_sage(template, user, sage, data, context)
    form, clean = _read_sage_form(db, user, data)
    if not form.ok:
        return render(template, user=user, form=form, sage=sage, status_code=422, **context)
    old_village = sage.village_id
    try:
        save_synced(db, sage, entity="sage", values=clean, user=user, expected_seq=form_seq(data),
                    audit_detail={"from_village": old_village if clean["village_id"] != old_village else None})
    except Stale:
        return _stale_sage(template, user, sage, data, context)
    except Refused as refused:
        form.add(refused.errors)
        return render(template, user=user, form=form, sage=sage, status_code=422, **context)
    db.commit()
    if wants_fragment(request):
        return render("_sage_row.html", user=user, sage=sage, **context)
    return Redirect(path=f"/sages?village={sage.village_id}")


# --- trainer teams ------------------------------------------------------------------------------

def _fiscal_year(request: Request, data: dict[str, Any] | None = None) -> int:
    raw = (data or {}).get("fy") or request.query_params.get("fy")
    try:
        year = int(raw)
        return year if 2400 < year < 2800 else current_fiscal_year()
    except (TypeError, ValueError):
        return current_fiscal_year()


@get("/teams", sync_to_thread=True)
def team_list(request: Request, db: Session, user: User) -> Template:
    """One page of the area's villages with their team of the fiscal year, lead and size: one query."""
    fiscal_year = _fiscal_year(request)
    page, found = team_page_rows(db, user=user, fiscal_year=fiscal_year, page=request.query_params.get("page"),
                                 per_page=TEAMS_PER_PAGE)
    return render("teams.html", user=user, rows=found, fiscal_year=fiscal_year, team_size=TEAM_SIZE,
                  **page.context("/teams", {"fy": request.query_params.get("fy")}))


def _team_page(db: Session, user: User, village: Village, fiscal_year: int, *, form: FormState | None = None,
               lead_form: FormState | None = None, status_code: int = 200, notice: str | None = None) -> Template:
    team = village_team(db, village_id=village.id, fiscal_year=fiscal_year)
    members = team_members(db, team=team)
    lead = db.get(Sage, team.lead_sage_id) if team and team.lead_sage_id else None
    on_team = {s.id for _m, s in members} | ({lead.id} if lead else set())
    candidates = team_candidates(db, user=user, village=village, on_team=on_team)
    no_lead, trainers_missing = team_missing(has_lead=lead is not None, members=len(members))
    names = {v.id: v.name for v, _s in area_villages(db, user)}
    trainings = village_trainings(db, village_id=village.id, fiscal_year=fiscal_year)
    outside = gettext_("outside the village")
    lead_options = [(s.id, f"{s.name} — {names.get(s.village_id, '')}") for s in ([lead] if lead else []) + candidates]
    member_options = [(s.id, f"{s.name} — {names.get(s.village_id, '')}"
                             + ("" if s.village_id == village.id else f" ({outside})")) for s in candidates]
    return render("team.html", user=user, village=village, fiscal_year=fiscal_year, team=team, lead=lead,
                  members=members, candidates=candidates, village_names=names, no_lead=no_lead,
                  trainers_missing=trainers_missing, team_size=TEAM_SIZE, status_code=status_code,
                  lead_options=lead_options, member_options=member_options,
                  form=form or FormState(), lead_form=lead_form or FormState(
                      values={"lead_sage_id": lead.id if lead else "", "note": team.note if team else "",
                              "seq": team.seq if team else ""}),
                  notice=notice, occupation_names=occupation_names(db), trainings=trainings)


@get("/teams/{village_id:str}", sync_to_thread=True)
@shows_personal_data("sage")
def team_page(request: Request, db: Session, user: User, village_id: str) -> Template:
    village = village_in_area(db, user, village_id)
    return _team_page(db, user, village, _fiscal_year(request))


def _ensure_team(db: Session, user: User, village: Village, fiscal_year: int) -> TrainerTeam:
    """The village's team of the year, made when missing (`Stale` if someone made it meanwhile)."""
    team = village_team(db, village_id=village.id, fiscal_year=fiscal_year)
    if team is None:
        team = TrainerTeam()
        save_synced(db, team, entity="team", values={"village_id": village.id, "fiscal_year": fiscal_year},
                    user=user)
    return team


@post("/teams/{village_id:str}/lead", sync_to_thread=True)
def team_set_lead(request: Request, db: Session, user: User, village_id: str, data: Form) -> Template | Redirect:
    village = village_in_area(db, user, village_id)
    fiscal_year = _fiscal_year(request, data)
    team = village_team(db, village_id=village.id, fiscal_year=fiscal_year)
    lead_form = FormState(values={k: text_value(data, k) or "" for k in ("lead_sage_id", "note", "seq")})
    if team is not None and is_stale(data, team):
        return _team_page(db, user, village, fiscal_year, status_code=409, notice=stale_notice())
    sage_id = text_value(data, "lead_sage_id")
    note = text_value(data, "note")
    sage = sage_for_team(db, user=user, sage_id=sage_id)
    if sage_id and sage is None:
        lead_form.error("lead_sage_id", gettext_("Choose a sage from the registry of your area."))
    if sage is not None:
        is_member = is_team_member(db, team=team, sage=sage)
        lead_form.add(check_team_lead(
            led_elsewhere=leads_elsewhere(db, sage=sage, village=village, fiscal_year=fiscal_year),
            is_member=is_member, same_village=sage.village_id == village.id, note=note))
        lead_form.add(check_one_team_a_year("lead_sage_id", serves_elsewhere=trains_elsewhere(
            db, sage=sage, village=village, fiscal_year=fiscal_year)))
    if not lead_form.ok:
        return _team_page(db, user, village, fiscal_year, lead_form=lead_form, status_code=422)
    try:
        expected = form_seq(data) if team is not None else None
        team = _ensure_team(db, user, village, fiscal_year)
        save_synced(db, team, entity="team", values={"lead_sage_id": sage.id if sage else None, "note": note},
                    user=user, expected_seq=expected)
    except Stale:
        return _team_page(db, user, village, fiscal_year, status_code=409, notice=stale_notice())
    db.commit()
    return Redirect(path=f"/teams/{village.id}?fy={fiscal_year}")


@post("/teams/{village_id:str}/members", sync_to_thread=True)
def team_add_member(request: Request, db: Session, user: User, village_id: str,
                    data: Form) -> Template | Redirect:
    village = village_in_area(db, user, village_id)
    fiscal_year = _fiscal_year(request, data)
    form = FormState(values={k: text_value(data, k) or "" for k in ("sage_id", "outside_note")})
    sage = sage_for_team(db, user=user, sage_id=text_value(data, "sage_id"))
    if sage is None:
        form.error("sage_id", gettext_("Choose a sage from the registry of your area."))
        return _team_page(db, user, village, fiscal_year, form=form, status_code=422)
    team = village_team(db, village_id=village.id, fiscal_year=fiscal_year)
    members = team_members(db, team=team)
    form.add(check_team_member(members_now=len(members), already_on_team=any(s.id == sage.id for _m, s in members),
                               is_lead=team is not None and team.lead_sage_id == sage.id,
                               same_village=sage.village_id == village.id,
                               outside_note=text_value(data, "outside_note")))
    form.add(check_one_team_a_year("sage_id", serves_elsewhere=leads_elsewhere(
        db, sage=sage, village=village, fiscal_year=fiscal_year) or trains_elsewhere(
        db, sage=sage, village=village, fiscal_year=fiscal_year)))
    if not form.ok:
        return _team_page(db, user, village, fiscal_year, form=form, status_code=422)
    try:
        team = _ensure_team(db, user, village, fiscal_year)
        # Membership lives in its own table: a new seq on the team tells phones to pull the team again.
        save_synced(db, team, entity="team", values={}, touch=True, user=user,
                    audit_detail={"added_member": sage.id})
    except Stale:
        return _team_page(db, user, village, fiscal_year, status_code=409, notice=stale_notice())
    outside_note = text_value(data, "outside_note") if sage.village_id != village.id else None
    db.add(TeamMember(team_id=team.id, sage_id=sage.id, outside_note=outside_note))
    db.commit()
    return Redirect(path=f"/teams/{village.id}?fy={fiscal_year}")


@post("/teams/{village_id:str}/members/{member_id:int}/remove", sync_to_thread=True)
def team_remove_member(request: Request, db: Session, user: User, village_id: str, member_id: int,
                       data: Form) -> Redirect:
    village = village_in_area(db, user, village_id)
    member = row_by_id(db, TeamMember, member_id)
    team = db.get(TrainerTeam, member.team_id) if member else None
    if member is None or team is None or team.village_id != village.id:
        raise NotFoundInArea()
    save_synced(db, team, entity="team", values={}, touch=True, user=user,
                audit_detail={"removed_member": member.sage_id})
    db.delete(member)
    db.commit()
    return Redirect(path=f"/teams/{village.id}?fy={team.fiscal_year}")


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[signed_in], route_handlers=[sage_list, sage_new, sage_create, sage_edit, sage_row, sage_update, team_list, team_page, team_set_lead, team_add_member, team_remove_member]),
]
