"""The sage registry (ทะเบียนปราชญ์ชุมชน) and each village's trainer team for a fiscal year."""
from __future__ import annotations

from typing import Any

from litestar import Router, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import ColumnElement, exists, func, or_
from sqlmodel import Session, select

from server.web.audited import shows_personal_data
from server.web.guards import signed_in
from server.auth.access import NotFoundInArea
from server.auth.areas import (
    area_subdistricts,
    area_village_ids,
    area_villages,
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
    Subdistrict,
    TeamMember,
    TrainerTeam,
    Training,
    User,
    Village,
)
from server.web.paging import page_of
from server.program.field_checks import normalize_citizen_id
from server.synced.write import Refused, Stale, problems, save_synced
from server.review import needs_fix
from server.reports.report_area import area_condition
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


def _has_skill(db: Session, text: str, names: dict[str, str]) -> ColumnElement[bool]:
    """Sages with a skill whose text or, for a trade code, whose name in the user's language contains
    `text` (lower case). Skills are a JSON list: the database reads its items (SQLite's json_each,
    PostgreSQL's json_array_elements_text), so an item matches however its JSON was written."""
    codes = [code for code, name in names.items() if text in name.lower()]
    elements = (func.json_array_elements_text if db.get_bind().dialect.name == "postgresql"
                else func.json_each)
    skill = elements(Sage.skills).table_valued("value").alias("skill")
    return exists(select(1).select_from(skill).where(
        or_(skill.c.value.icontains(text, autoescape=True), skill.c.value.in_(codes))))


def _sage_filter(db: Session, user: User, params: dict[str, str]) -> list[ColumnElement[bool]]:
    """The area's sages that match the registry's filters, as SQL conditions."""
    conditions: list[ColumnElement[bool]] = [Sage.deleted == False]  # noqa: E712
    ids = area_village_ids(db, user)
    if ids is not None:
        conditions.append(Sage.village_id.in_(ids or {""}))
    if params["village"]:
        conditions.append(Sage.village_id == params["village"])
    if params["subdistrict"]:
        conditions.append(Sage.village_id.in_(select(Village.id).where(
            Village.subdistrict_code == params["subdistrict"])))
    skill = params["skill"].strip().lower()
    text = params["q"].strip().lower()
    names = occupation_names(db) if skill or text else {}
    if skill:
        conditions.append(or_(_has_skill(db, skill, names), Sage.skills_note.icontains(skill, autoescape=True)))
    if text:
        conditions.append(or_(Sage.name.icontains(text, autoescape=True),
                              Sage.phone.contains(text, autoescape=True), _has_skill(db, text, names),
                              Sage.skills_note.icontains(text, autoescape=True)))
    return conditions


@get("/sages", sync_to_thread=True)
@shows_personal_data("sage")
def sage_list(request: Request, db: Session, user: User) -> Template:
    """One page of the registry, by name: filtered, counted and paged by the database."""
    params = {k: request.query_params.get(k) or "" for k in ("q", "village", "subdistrict", "skill")}
    conditions = _sage_filter(db, user, params)
    page = page_of(db, select(Sage.id).where(*conditions), request.query_params.get("page"), SAGES_PER_PAGE)
    sages = list(db.exec(select(Sage).where(*conditions).order_by(Sage.name, Sage.id)
                         .offset(page.offset).limit(page.size)).all())
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
    ids = area_village_ids(db, user)
    if not clean["village_id"]:
        form.error("village_id", gettext_("This field is required"))
    elif ids is not None and clean["village_id"] not in ids or db.get(Village, clean["village_id"]) is None:
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


def _team(db: Session, village_id: str, fiscal_year: int) -> TrainerTeam | None:
    return db.exec(select(TrainerTeam).where(TrainerTeam.village_id == village_id,
                                             TrainerTeam.fiscal_year == fiscal_year,
                                             TrainerTeam.deleted == False)).first()  # noqa: E712


def _members(db: Session, team: TrainerTeam | None) -> list[tuple[TeamMember, Sage]]:
    if team is None:
        return []
    return list(db.exec(select(TeamMember, Sage).join(Sage, Sage.id == TeamMember.sage_id)
                        .where(TeamMember.team_id == team.id).order_by(TeamMember.id)).all())


@get("/teams", sync_to_thread=True)
def team_list(request: Request, db: Session, user: User) -> Template:
    """One page of the area's villages with their team of the fiscal year, lead and size: one query."""
    fiscal_year = _fiscal_year(request)
    member_count = (select(func.count()).select_from(TeamMember)
                    .where(TeamMember.team_id == TrainerTeam.id).scalar_subquery())
    query = (select(Village, Subdistrict, Sage, func.coalesce(member_count, 0))
             .join(Subdistrict, Subdistrict.code == Village.subdistrict_code)
             .outerjoin(TrainerTeam, (TrainerTeam.village_id == Village.id)
                        & (TrainerTeam.fiscal_year == fiscal_year) & (TrainerTeam.deleted == False))  # noqa: E712
             .outerjoin(Sage, Sage.id == TrainerTeam.lead_sage_id)
             .where(Village.deleted == False, area_condition(db, user)))  # noqa: E712
    page = page_of(db, select(Village.id).where(Village.deleted == False, area_condition(db, user)),  # noqa: E712
                   request.query_params.get("page"), TEAMS_PER_PAGE)
    rows = []
    for village, subdistrict, lead, members in db.exec(query.order_by(Village.code)
                                                       .offset(page.offset).limit(page.size)).all():
        no_lead, trainers_missing = team_missing(has_lead=lead is not None, members=members)
        rows.append({"village": village, "subdistrict": subdistrict, "lead": lead,
                     "size": members + (1 if lead else 0), "no_lead": no_lead,
                     "trainers_missing": trainers_missing})
    return render("teams.html", user=user, rows=rows, fiscal_year=fiscal_year, team_size=TEAM_SIZE,
                  **page.context("/teams", {"fy": request.query_params.get("fy")}))


def _team_page(db: Session, user: User, village: Village, fiscal_year: int, *, form: FormState | None = None,
               lead_form: FormState | None = None, status_code: int = 200, notice: str | None = None) -> Template:
    team = _team(db, village.id, fiscal_year)
    members = _members(db, team)
    lead = db.get(Sage, team.lead_sage_id) if team and team.lead_sage_id else None
    ids = area_village_ids(db, user)
    query = select(Sage).where(Sage.deleted == False).order_by(Sage.name)  # noqa: E712
    if ids is not None:
        query = query.where(Sage.village_id.in_(ids or {""}))
    on_team = {s.id for _m, s in members} | ({lead.id} if lead else set())
    candidates = [s for s in db.exec(query).all() if s.id not in on_team]
    candidates.sort(key=lambda s: (s.village_id != village.id, s.name))
    no_lead, trainers_missing = team_missing(has_lead=lead is not None, members=len(members))
    names = {v.id: v.name for v, _s in area_villages(db, user)}
    trainings = list(db.exec(select(Training).where(Training.village_id == village.id,
                                                    Training.fiscal_year == fiscal_year,
                                                    Training.deleted == False)).all())  # noqa: E712
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
    team = _team(db, village.id, fiscal_year)
    if team is None:
        team = TrainerTeam()
        save_synced(db, team, entity="team", values={"village_id": village.id, "fiscal_year": fiscal_year},
                    user=user)
    return team


def _trains_elsewhere(db: Session, sage: Sage, village: Village, fiscal_year: int) -> str | None:
    """The village whose team the sage is a trainer on in the fiscal year, other than this one."""
    row = db.exec(select(Village).join(TrainerTeam, TrainerTeam.village_id == Village.id)
                  .join(TeamMember, TeamMember.team_id == TrainerTeam.id)
                  .where(TeamMember.sage_id == sage.id, TrainerTeam.fiscal_year == fiscal_year,
                         TrainerTeam.village_id != village.id, TrainerTeam.deleted == False)).first()  # noqa: E712
    return row.name if row is not None else None


def _leads_elsewhere(db: Session, sage: Sage, village: Village, fiscal_year: int) -> str | None:
    """The village whose team the sage leads in the fiscal year, other than this one."""
    row = db.exec(select(Village).join(TrainerTeam, TrainerTeam.village_id == Village.id)
                  .where(TrainerTeam.lead_sage_id == sage.id, TrainerTeam.fiscal_year == fiscal_year,
                         TrainerTeam.village_id != village.id, TrainerTeam.deleted == False)).first()  # noqa: E712
    return row.name if row is not None else None


def _sage_for_team(db: Session, user: User, sage_id: str | None) -> Sage | None:
    if not sage_id:
        return None
    sage = db.get(Sage, sage_id)
    ids = area_village_ids(db, user)
    if sage is None or sage.deleted or (ids is not None and sage.village_id not in ids):
        return None
    return sage


@post("/teams/{village_id:str}/lead", sync_to_thread=True)
def team_set_lead(request: Request, db: Session, user: User, village_id: str, data: Form) -> Template | Redirect:
    village = village_in_area(db, user, village_id)
    fiscal_year = _fiscal_year(request, data)
    team = _team(db, village.id, fiscal_year)
    lead_form = FormState(values={k: text_value(data, k) or "" for k in ("lead_sage_id", "note", "seq")})
    if team is not None and is_stale(data, team):
        return _team_page(db, user, village, fiscal_year, status_code=409, notice=stale_notice())
    sage_id = text_value(data, "lead_sage_id")
    note = text_value(data, "note")
    sage = _sage_for_team(db, user, sage_id)
    if sage_id and sage is None:
        lead_form.error("lead_sage_id", gettext_("Choose a sage from the registry of your area."))
    if sage is not None:
        is_member = team is not None and db.exec(select(TeamMember).where(
            TeamMember.team_id == team.id, TeamMember.sage_id == sage.id)).first() is not None
        lead_form.add(check_team_lead(led_elsewhere=_leads_elsewhere(db, sage, village, fiscal_year),
                                      is_member=is_member, same_village=sage.village_id == village.id, note=note))
        lead_form.add(check_one_team_a_year("lead_sage_id",
                                            serves_elsewhere=_trains_elsewhere(db, sage, village, fiscal_year)))
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
    sage = _sage_for_team(db, user, text_value(data, "sage_id"))
    if sage is None:
        form.error("sage_id", gettext_("Choose a sage from the registry of your area."))
        return _team_page(db, user, village, fiscal_year, form=form, status_code=422)
    team = _team(db, village.id, fiscal_year)
    members = _members(db, team)
    form.add(check_team_member(members_now=len(members), already_on_team=any(s.id == sage.id for _m, s in members),
                               is_lead=team is not None and team.lead_sage_id == sage.id,
                               same_village=sage.village_id == village.id,
                               outside_note=text_value(data, "outside_note")))
    form.add(check_one_team_a_year("sage_id", serves_elsewhere=_leads_elsewhere(db, sage, village, fiscal_year)
                                   or _trains_elsewhere(db, sage, village, fiscal_year)))
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
