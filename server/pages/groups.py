"""Occupation groups formed by trained households: members, committee, rules, fund, and 5 ก scoring."""
from __future__ import annotations

import functools

from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.audit.log import audit
from server.auth.areas import (
    area_villages,
    group_in_area,
    village_in_area,
    village_options,
)
from server.config.values import five_k_elements, occupation_names
from server.core.dates import to_input
from server.core.i18n import gettext_
from server.core.numbers import parse_int
from server.models import (
    FiveKAssessment,
    GroupMember,
    OccupationGroup,
    User,
    Village,
)
from server.models.groups import GROUP_ROLES
from server.program.field_checks import check_text
from server.program.rules import check_group, check_not_future
from server.program.occupation_groups import (
    five_k_history,
    group_members_by_id,
    group_members_with_households,
    group_page_rows,
    village_trained_households,
    village_trainings_all_years,
)
from server.synced.write import Stale, save_synced
from server.web import funding_forms
from server.web.audited import shows_personal_data
from server.web.forms import (
    Form,
    FormState,
    as_list,
    date_value,
    form_seq,
    int_value,
    is_stale,
    stale_notice,
    text_value,
)
from server.web.guards import signed_in
from server.web.templates import render

GROUPS_PER_PAGE = 50
COMMITTEE_ROLES = ("chair", "vice_chair", "secretary", "treasurer")  # one holder each
GROUP_FIELDS = ("village_id", "name", "category", "occupation", "registered_on", "phone", "rules", "activities",
                "fund_balance", "note")


def role_labels() -> dict[str, str]:
    return {"member": gettext_("Member"), "chair": gettext_("Chair"), "vice_chair": gettext_("Vice chair"),
            "secretary": gettext_("Secretary"), "treasurer": gettext_("Treasurer"),
            "committee": gettext_("Committee member")}


def _options(db: Session) -> dict[str, Any]:
    return {"category_options": list(occupation_names(db, kind="group_category", active_only=True).items()),
            "trade_options": list(occupation_names(db, kind="trade", active_only=True).items()),
            "occupation_names": occupation_names(db), "role_labels": role_labels(), "roles": GROUP_ROLES}


@get("/groups", sync_to_thread=True)
def group_list(request: Request, db: Session, user: User) -> Template:
    """One page of the area's occupation groups, by village geocode."""
    page, found = group_page_rows(db, user=user, page=request.query_params.get("page"), per_page=GROUPS_PER_PAGE)
    return render("groups.html", user=user, rows=found.rows, members=found.members, latest=found.latest,
                  elements=len(five_k_elements(db)), village_options=village_options(area_villages(db, user)),
                  **_options(db), **page.context("/groups", {}))


@get("/groups/new", sync_to_thread=True)
def group_new(request: Request, db: Session, user: User) -> Template:
    village = village_in_area(db, user, request.query_params.get("village"))
    form = FormState(values={"village_id": village.id, "members": []})
    return render("group_form.html", user=user, form=form, village=village,
                  candidates=village_trained_households(db, village_id=village.id), **_options(db))


def _read_group(db: Session, form: FormState, data: dict[str, Any],
                editing: OccupationGroup | None = None) -> dict[str, Any]:
    """The typed group, checked: the category and trade come from the configured lists (a retired
    one may stay on a group that already has it)."""
    clean = {name: text_value(data, name) for name in ("name", "category", "occupation", "phone", "rules",
                                                       "activities", "note")}
    clean["registered_on"] = date_value(form, data, "registered_on")
    clean["fund_balance"] = int_value(form, data, "fund_balance") or 0
    form.add(check_group(clean))
    categories = set(occupation_names(db, kind="group_category", active_only=True))
    trades = set(occupation_names(db, kind="trade", active_only=True))
    if editing is not None:
        categories.add(editing.category)
        trades.add(editing.occupation)
    if clean["category"] and "category" not in form.errors and clean["category"] not in categories:
        form.error("category", gettext_("Choose a group category."))
    if clean["occupation"] and clean["occupation"] not in trades:
        form.error("occupation", gettext_("Choose a trade from the occupation list."))
    return clean


@post("/groups", sync_to_thread=True)
def group_create(db: Session, user: User, data: Form) -> Template | Redirect:
    village = village_in_area(db, user, text_value(data, "village_id"))
    candidates = village_trained_households(db, village_id=village.id)
    chosen = [h for h in candidates if h.id in set(as_list(data, "members"))]
    form = FormState(values={**{k: text_value(data, k) or "" for k in GROUP_FIELDS}, "village_id": village.id,
                             "members": [h.id for h in chosen]})
    clean = _read_group(db, form, data)
    if not chosen:
        form.error("members", gettext_("Choose at least one trained household as a member."))
    if not form.ok:
        return render("group_form.html", user=user, form=form, village=village, candidates=candidates,
                      status_code=422, **_options(db))
    group = OccupationGroup()
    save_synced(db, group, entity="group", values={"village_id": village.id, **clean}, user=user,
                audit_detail={"members": len(chosen)})
    for household in chosen:
        db.add(GroupMember(group_id=group.id, household_id=household.id, role="member"))
    db.commit()
    return Redirect(path=f"/groups/{group.id}")


def _group_page(db: Session, user: User, group: OccupationGroup, *, info: FormState | None = None,
                members_form: FormState | None = None, five_k: FormState | None = None,
                funding_form: FormState | None = None, funding_for: int | None = None,
                status_code: int = 200, notice: str | None = None) -> Template:
    village = db.get(Village, group.village_id)
    members = group_members_with_households(db, group_id=group.id)
    member_ids = {m.household_id for m, _h in members}
    candidates = [h for h in village_trained_households(db, village_id=group.village_id) if h.id not in member_ids]
    history = five_k_history(db, group_id=group.id)
    trainings = village_trainings_all_years(db, village_id=group.village_id)
    if info is None:
        info = FormState(values={**{k: getattr(group, k) for k in GROUP_FIELDS}, "seq": group.seq,
                                 "registered_on": to_input(group.registered_on)})
    return render("group.html", user=user, group=group, village=village, members=members, candidates=candidates,
                  history=history, elements=five_k_elements(db), info=info, trainings=trainings,
                  members_form=members_form or FormState(), five_k=five_k or FormState(values={"scores": []}),
                  status_code=status_code, notice=notice, **_options(db),
                  **funding_forms.context(db, group_id=group.id, form=funding_form, form_for=funding_for))


@get("/groups/{group_id:str}", sync_to_thread=True)
@shows_personal_data("group", record="group_id")
def group_page(request: Request, db: Session, user: User, group_id: str) -> Template:
    group = group_in_area(db, user, group_id)
    return _group_page(db, user, group)


@post("/groups/{group_id:str}", sync_to_thread=True)
def group_update(db: Session, user: User, group_id: str, data: Form) -> Template | Redirect:
    group = group_in_area(db, user, group_id)
    if is_stale(data, group):
        return _group_page(db, user, group, notice=stale_notice(), status_code=409)
    form = FormState(values={**{k: text_value(data, k) or "" for k in GROUP_FIELDS}, "seq": text_value(data, "seq")})
    clean = _read_group(db, form, data, editing=group)
    if not form.ok:
        return _group_page(db, user, group, info=form, status_code=422)
    try:
        save_synced(db, group, entity="group", values=clean, user=user, expected_seq=form_seq(data))
    except Stale:
        return _group_page(db, user, group, notice=stale_notice(), status_code=409)
    db.commit()
    return Redirect(path=f"/groups/{group.id}")


@post("/groups/{group_id:str}/members", sync_to_thread=True)
def group_members(db: Session, user: User, group_id: str, data: Form) -> Template | Redirect:
    """Committee roles, removals and one new member, saved together."""
    group = group_in_area(db, user, group_id)
    if is_stale(data, group):
        return _group_page(db, user, group, notice=stale_notice(), status_code=409)
    members = group_members_by_id(db, group_id=group.id)
    new_id = text_value(data, "household_id")
    new_role = text_value(data, "new_role") if new_id else None
    form = FormState(values={"household_id": new_id or "", "new_role": new_role or ""})
    if new_role is not None and new_role not in GROUP_ROLES:
        form.error("new_role", gettext_("Choose a role."))
    remove = {parse_int(str(i)) for i in as_list(data, "remove")} - {None}
    for member_id, member in members.items():
        role = text_value(data, f"role_{member_id}") or member.role
        if role not in GROUP_ROLES:
            form.error(f"role_{member_id}", gettext_("Choose a role."))
        elif member_id not in remove:
            member.role = role
    for role in COMMITTEE_ROLES:
        holders = [m.role for i, m in members.items() if i not in remove and m.role == role] + (
            [new_role] if new_role == role else [])
        if len(holders) > 1:
            form.error("roles", gettext_("Only one member can hold each of chair, vice chair, secretary and "
                                         "treasurer."))
    if new_id:
        if new_id not in {h.id for h in village_trained_households(db, village_id=group.village_id)}:
            form.error("household_id", gettext_("Choose a trained household of this village."))
        elif any(m.household_id == new_id for m in members.values()):
            form.error("household_id", gettext_("This household is already a member."))
    if not form.ok:
        db.rollback()
        return _group_page(db, user, group, members_form=form, status_code=422)
    try:
        # Membership lives in its own table: a new seq on the group tells phones to pull it again.
        save_synced(db, group, entity="group", values={}, touch=True, user=user, expected_seq=form_seq(data),
                    audit_detail={"members_removed": len(remove & set(members)), "member_added": bool(new_id)})
    except Stale:
        return _group_page(db, user, group, notice=stale_notice(), status_code=409)
    for member_id in remove & set(members):
        db.delete(members[member_id])
    if new_id:
        db.add(GroupMember(group_id=group.id, household_id=new_id, role=new_role or "member"))
    db.commit()
    return Redirect(path=f"/groups/{group.id}#members")


@post("/groups/{group_id:str}/assessments", sync_to_thread=True)
def group_assess(db: Session, user: User, group_id: str, data: Form) -> Template | Redirect:
    """A new 5 ก scoring; earlier ones are kept as history, never overwritten."""
    group = group_in_area(db, user, group_id)
    elements = five_k_elements(db)
    ticked = set(as_list(data, "scores"))
    form = FormState(values={"assessed_on": text_value(data, "assessed_on") or "",
                             "notes": text_value(data, "notes") or "", "scores": list(ticked)})
    when = date_value(form, data, "assessed_on", required=True)
    form.add(check_not_future("assessed_on", when))
    form.add(check_text("notes", text_value(data, "notes"), max_length=2000))
    if not elements:
        form.error("scores", gettext_("No 5 ก elements are configured; ask an administrator."))
    if not form.ok:
        return _group_page(db, user, group, five_k=form, status_code=422)
    assessment = FiveKAssessment(group_id=group.id, assessed_on=when, notes=text_value(data, "notes"),
                                 scores={e.code: e.code in ticked for e in elements}, assessed_by_user_id=user.id)
    db.add(assessment)
    db.flush()
    audit(db, action="create", entity="five_k_assessment", record_id=str(assessment.id), user_id=user.id,
          detail={"group_id": group.id, "score": sum(assessment.scores.values())})
    db.commit()
    return Redirect(path=f"/groups/{group.id}#five-k")


# --- funding ---------------------------------------------------------------------------------------

@post("/groups/{group_id:str}/funding", sync_to_thread=True)
def group_funding_add(db: Session, user: User, group_id: str, data: Form) -> Template | Redirect:
    return _group_funding(db, user, group_id, data, request_id=None)


@post("/groups/{group_id:str}/funding/{request_id:int}", sync_to_thread=True)
def group_funding_update(db: Session, user: User, group_id: str, request_id: int, data: Form) -> Template | Redirect:
    return _group_funding(db, user, group_id, data, request_id=request_id)


def _group_funding(db: Session, user: User, group_id: str, data: Form, *, request_id: int | None) -> Template | Redirect:
    group = group_in_area(db, user, group_id)
    return funding_forms.save_funding_request(db, user, data, owner={"group_id": group.id}, request_id=request_id,
                                              page_again=functools.partial(_group_page, db, user, group),
                                              back=f"/groups/{group.id}")



# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[signed_in], route_handlers=[group_list, group_new, group_create, group_page, group_update,
                                                         group_members, group_assess, group_funding_add,
                                                         group_funding_update]),
]
