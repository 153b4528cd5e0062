"""Development partners of the district, what they support, and the publicity meetings held."""
from __future__ import annotations

from litestar import Router, get, post
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.web.guards import signed_in
from server.audit.log import audit
from server.auth.access import NotFoundInArea
from server.auth.areas import area_subdistrict_codes, area_subdistricts, row_by_id
from server.config.values import occupation_names
from server.core.i18n import current_locale, gettext_
from server.models import Partner, PartnerSupport, PublicityMeeting, User
from server.program.development_partners import (
    area_districts,
    district_in_area,
    district_partners,
    meetings_in_area,
    partner_in_area,
    partner_names,
    supportable,
    supports_in_area,
)
from server.program.field_checks import check_text
from server.web.forms import Form, FormState, as_list, date_value, text_value
from server.web.templates import render

# The district support team (step 7): {district} is the district's Thai name.
SUPPORT_ORGANISATIONS = (
    "เครือข่ายคณะกรรมการพัฒนาสตรีอำเภอ{district}",
    "ศูนย์ประสานงานองค์การชุมชนอำเภอ{district} (ศอช.อ.)",
    "เครือข่ายกลุ่มออมทรัพย์เพื่อการผลิตอำเภอ{district}",
    "ชมรมผู้นำ อช. อำเภอ{district}",
)
# Who attends publicity meetings (step 2): stored as these Thai names, shown in the user's language.
AUDIENCES = ("หัวหน้าส่วนราชการระดับตำบล", "ศอช.ต.", "อช.", "ผู้นำ อช.", "กำนัน ผู้ใหญ่บ้าน", "ภาคีการพัฒนา")


def audience_labels() -> dict[str, str]:
    return dict(zip(AUDIENCES, (gettext_("Subdistrict heads of government agencies"),
                                gettext_("Subdistrict community-organisation coordination centre"),
                                gettext_("Community-development volunteers"),
                                gettext_("Leaders of community-development volunteers"),
                                gettext_("Kamnan and village heads"), gettext_("Development partners"))))


def _page(db: Session, user: User, *, partner_form: FormState | None = None, meeting_form: FormState | None = None,
          support_forms: dict[int, FormState] | None = None, status_code: int = 200) -> Template:
    districts = area_districts(db, user=user)
    codes = [d.code for d in districts]
    partners = district_partners(db, district_codes=codes)
    within = supportable(db, user=user)
    trainings, groups, village_names = within.trainings, within.groups, within.village_names
    supports = supports_in_area(db, partners=partners, within=within)  # hide what lies outside the area
    subdistricts = area_subdistricts(db, user)
    meetings = meetings_in_area(db, user=user, district_codes=codes)
    missing_defaults = {d.code: [n.format(district=d.name_th) for n in SUPPORT_ORGANISATIONS
                                 if n.format(district=d.name_th) not in {p.name for p in partners
                                                                         if p.district_code == d.code}]
                        for d in districts}
    names = occupation_names(db)
    target_options = ([(f"training:{t.id}", f"{gettext_('Training')}: {names.get(t.occupation, t.occupation)} · "
                                            f"{village_names.get(t.village_id, '')} · {t.fiscal_year}")
                       for t in trainings.values()]
                      + [(f"group:{g.id}", f"{gettext_('Group')}: {g.name} · {village_names.get(g.village_id, '')}")
                         for g in groups.values()])
    english = current_locale.get() == "en"
    district_options = [(d.code, d.name_en if english else d.name_th) for d in districts]
    subdistrict_options = [(s.code, s.name_en if english else s.name_th) for s in subdistricts]
    return render("partners.html", user=user, districts=districts, district_options=district_options,
                  subdistrict_options=subdistrict_options, partners=partners, supports=supports,
                  trainings=trainings, groups=groups, village_names=village_names, meetings=meetings,
                  subdistricts=subdistricts, missing_defaults=missing_defaults, target_options=target_options,
                  audiences=AUDIENCES, audience_labels=audience_labels(), occupation_names=names, status_code=status_code,
                  partner_form=partner_form or FormState(values={"district_code": districts[0].code if districts else ""}),
                  meeting_form=meeting_form or FormState(values={"audience": []}),
                  support_forms=support_forms or {})


@get("/partners", sync_to_thread=True)
def partner_list(db: Session, user: User) -> Template:
    return _page(db, user)


@post("/partners", sync_to_thread=True)
def partner_create(db: Session, user: User, data: Form) -> Template | Redirect:
    form = FormState(values={k: text_value(data, k) or "" for k in ("name", "kind", "district_code")})
    district = district_in_area(db, user=user, code=text_value(data, "district_code"))
    if district is None:
        form.error("district_code", gettext_("Choose a district in your area."))
    form.add(check_text("name", text_value(data, "name"), max_length=200, optional=False))
    form.add(check_text("kind", text_value(data, "kind"), max_length=100))
    if not form.ok:
        return _page(db, user, partner_form=form, status_code=422)
    partner = Partner(district_code=district.code, name=text_value(data, "name"), kind=text_value(data, "kind"))
    db.add(partner)
    db.flush()
    audit(db, action="create", entity="partner", record_id=str(partner.id), user_id=user.id)
    db.commit()
    return Redirect(path="/partners")


@post("/partners/defaults", sync_to_thread=True)
def partner_defaults(db: Session, user: User, data: Form) -> Redirect:
    """Add the district's 4 support organisations that are not registered yet (a fresh install)."""
    district = district_in_area(db, user=user, code=text_value(data, "district_code"))
    if district is None:
        raise NotFoundInArea()
    existing = partner_names(db, district_code=district.code)
    for template in SUPPORT_ORGANISATIONS:
        name = template.format(district=district.name_th)
        if name not in existing:
            db.add(Partner(district_code=district.code, name=name, kind="support_team", preloaded=True))
    audit(db, action="create", entity="partner", user_id=user.id, detail={"defaults": district.code})
    db.commit()
    return Redirect(path="/partners")


def _partner_in_area(db: Session, user: User, partner_id: int) -> Partner:
    partner = partner_in_area(db, user=user, partner_id=partner_id)
    if partner is None:
        raise NotFoundInArea()
    return partner


@post("/partners/{partner_id:int}/supports", sync_to_thread=True)
def support_add(db: Session, user: User, partner_id: int, data: Form) -> Template | Redirect:
    partner = _partner_in_area(db, user, partner_id)
    within = supportable(db, user=user)
    trainings, groups = within.trainings, within.groups
    target = text_value(data, "target") or ""
    kind, _sep, target_id = target.partition(":")
    form = FormState(values={"target": target, "note": text_value(data, "note") or ""})
    if not ((kind == "training" and target_id in trainings) or (kind == "group" and target_id in groups)):
        form.error("target", gettext_("Choose a training or a group in your area."))
    form.add(check_text("note", text_value(data, "note"), max_length=500))
    if not form.ok:
        return _page(db, user, support_forms={partner.id: form}, status_code=422)
    support = PartnerSupport(partner_id=partner.id, note=text_value(data, "note"),
                             training_id=target_id if kind == "training" else None,
                             group_id=target_id if kind == "group" else None)
    db.add(support)
    db.flush()
    audit(db, action="create", entity="partner_support", record_id=str(support.id), user_id=user.id)
    db.commit()
    return Redirect(path="/partners")


@post("/partners/{partner_id:int}/supports/{support_id:int}/remove", sync_to_thread=True)
def support_remove(db: Session, user: User, partner_id: int, support_id: int) -> Redirect:
    partner = _partner_in_area(db, user, partner_id)
    support = row_by_id(db, PartnerSupport, support_id)
    within = supportable(db, user=user)
    trainings, groups = within.trainings, within.groups
    if support is None or support.partner_id != partner.id or not (
            support.training_id in trainings or support.group_id in groups):
        raise NotFoundInArea()
    db.delete(support)
    audit(db, action="delete", entity="partner_support", record_id=str(support_id), user_id=user.id)
    db.commit()
    return Redirect(path="/partners")


@post("/partners/meetings", sync_to_thread=True)
def meeting_add(db: Session, user: User, data: Form) -> Template | Redirect:
    audience = as_list(data, "audience")
    other = text_value(data, "audience_other")
    form = FormState(values={"held_on": text_value(data, "held_on") or "", "audience": audience,
                             "audience_other": other or "", "notes": text_value(data, "notes") or "",
                             "subdistrict_code": text_value(data, "subdistrict_code") or "",
                             "district_code": text_value(data, "district_code") or ""})
    when = date_value(form, data, "held_on", required=True)
    district = district_in_area(db, user=user, code=text_value(data, "district_code"))
    if district is None:
        form.error("district_code", gettext_("Choose a district in your area."))
    subdistrict = text_value(data, "subdistrict_code")
    visible = area_subdistrict_codes(db, user)
    if subdistrict and (visible is not None and subdistrict not in visible):
        form.error("subdistrict_code", gettext_("Choose a subdistrict in your area."))
    names = [a for a in audience if a in AUDIENCES] + ([other] if other else [])
    if not names:
        form.error("audience", gettext_("Who attended? Tick at least one group or type another."))
    form.add(check_text("notes", text_value(data, "notes"), max_length=2000))
    if not form.ok:
        return _page(db, user, meeting_form=form, status_code=422)
    meeting = PublicityMeeting(district_code=district.code, subdistrict_code=subdistrict, held_on=when,
                               audience=", ".join(names), notes=text_value(data, "notes"))
    db.add(meeting)
    db.flush()
    audit(db, action="create", entity="publicity_meeting", record_id=str(meeting.id), user_id=user.id)
    db.commit()
    return Redirect(path="/partners#meetings")


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[signed_in], route_handlers=[partner_list, partner_create, partner_defaults, support_add, support_remove, meeting_add]),
]
