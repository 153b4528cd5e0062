"""Development partners of the district, what they support, and the publicity meetings held."""
from __future__ import annotations

from litestar import Router, get, post
from litestar.response import Redirect, Template
from sqlmodel import Session, select

from server.web.guards import signed_in
from server.audit.log import audit
from server.auth.access import NotFoundInArea
from server.auth.areas import (
    area_district_codes,
    area_subdistrict_codes,
    area_subdistricts,
    area_village_ids,
    row_by_id,
)
from server.config.values import occupation_names
from server.core.i18n import current_locale, gettext_
from server.models import (
    District,
    OccupationGroup,
    Partner,
    PartnerSupport,
    PublicityMeeting,
    Training,
    User,
    Village,
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


def _districts(db: Session, user: User) -> list[District]:
    codes = area_district_codes(db, user)
    query = select(District).order_by(District.code)
    if codes is not None:
        query = query.where(District.code.in_(codes or {""}))
    return list(db.exec(query).all())


def _supportable(db: Session, user: User) -> tuple[dict[str, Training], dict[str, OccupationGroup], dict[str, str]]:
    """Trainings and groups in the user's area (what a partner's support can point at)."""
    ids = area_village_ids(db, user)
    trainings = select(Training).where(Training.deleted == False)  # noqa: E712
    groups = select(OccupationGroup).where(OccupationGroup.deleted == False)  # noqa: E712
    villages = select(Village)
    if ids is not None:
        trainings = trainings.where(Training.village_id.in_(ids or {""}))
        groups = groups.where(OccupationGroup.village_id.in_(ids or {""}))
        villages = villages.where(Village.id.in_(ids or {""}))
    return ({t.id: t for t in db.exec(trainings)}, {g.id: g for g in db.exec(groups)},
            {v.id: v.name for v in db.exec(villages)})


def _page(db: Session, user: User, *, partner_form: FormState | None = None, meeting_form: FormState | None = None,
          support_forms: dict[int, FormState] | None = None, status_code: int = 200) -> Template:
    districts = _districts(db, user)
    codes = [d.code for d in districts] or [""]
    partners = list(db.exec(select(Partner).where(Partner.district_code.in_(codes))
                            .order_by(Partner.preloaded.desc(), Partner.name)).all())
    trainings, groups, village_names = _supportable(db, user)
    supports: dict[int, list[PartnerSupport]] = {}
    for support in db.exec(select(PartnerSupport).where(PartnerSupport.partner_id.in_([p.id for p in partners] or [0]))):
        if support.training_id in trainings or support.group_id in groups:  # hide what lies outside the area
            supports.setdefault(support.partner_id, []).append(support)
    subdistricts = area_subdistricts(db, user)
    visible_subdistricts = area_subdistrict_codes(db, user)
    meetings = [m for m in db.exec(select(PublicityMeeting).where(PublicityMeeting.district_code.in_(codes))
                                   .order_by(PublicityMeeting.held_on.desc()))
                if m.subdistrict_code is None or visible_subdistricts is None or m.subdistrict_code in visible_subdistricts]
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


def _district_in_area(db: Session, user: User, code: str | None) -> District | None:
    codes = area_district_codes(db, user)
    district = db.get(District, code) if code else None
    if district is None or (codes is not None and district.code not in codes):
        return None
    return district


@post("/partners", sync_to_thread=True)
def partner_create(db: Session, user: User, data: Form) -> Template | Redirect:
    form = FormState(values={k: text_value(data, k) or "" for k in ("name", "kind", "district_code")})
    district = _district_in_area(db, user, text_value(data, "district_code"))
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
    district = _district_in_area(db, user, text_value(data, "district_code"))
    if district is None:
        raise NotFoundInArea()
    existing = {p.name for p in db.exec(select(Partner).where(Partner.district_code == district.code))}
    for template in SUPPORT_ORGANISATIONS:
        name = template.format(district=district.name_th)
        if name not in existing:
            db.add(Partner(district_code=district.code, name=name, kind="support_team", preloaded=True))
    audit(db, action="create", entity="partner", user_id=user.id, detail={"defaults": district.code})
    db.commit()
    return Redirect(path="/partners")


def _partner_in_area(db: Session, user: User, partner_id: int) -> Partner:
    partner = row_by_id(db, Partner, partner_id)
    codes = area_district_codes(db, user)
    if partner is None or (codes is not None and partner.district_code not in codes):
        raise NotFoundInArea()
    return partner


@post("/partners/{partner_id:int}/supports", sync_to_thread=True)
def support_add(db: Session, user: User, partner_id: int, data: Form) -> Template | Redirect:
    partner = _partner_in_area(db, user, partner_id)
    trainings, groups, _names = _supportable(db, user)
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
    trainings, groups, _names = _supportable(db, user)
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
    district = _district_in_area(db, user, text_value(data, "district_code"))
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
