"""The development partners' questions: the districts a user works in, their partners and what each
supports in the user's area, and the publicity meetings held there."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from server.auth.areas import area_district_codes, area_subdistrict_codes, area_village_ids, row_by_id
from server.models import District, OccupationGroup, Partner, PartnerSupport, PublicityMeeting, Training, User, Village
from sync.spec import one_of


def area_districts(db: Session, *, user: User) -> list[District]:
    """The districts the user works in (all for an admin), by code."""
    codes = area_district_codes(db, user)
    query = select(District).order_by(District.code)
    if codes is not None:
        query = query.where(District.code.in_(codes or {""}))
    return list(db.exec(query).all())


def district_in_area(db: Session, *, user: User, code: str | None) -> District | None:
    codes = area_district_codes(db, user)
    district = db.get(District, code) if code else None
    if district is None or (codes is not None and district.code not in codes):
        return None
    return district


def partner_in_area(db: Session, *, user: User, partner_id: int) -> Partner | None:
    partner = row_by_id(db, Partner, partner_id)
    codes = area_district_codes(db, user)
    if partner is None or (codes is not None and partner.district_code not in codes):
        return None
    return partner


@dataclass(frozen=True)
class Supportable:
    """Trainings and groups in the user's area (what a partner's support can point at), with village names."""
    trainings: dict[str, Training]
    groups: dict[str, OccupationGroup]
    village_names: dict[str, str]


def supportable(db: Session, *, user: User) -> Supportable:
    ids = area_village_ids(db, user)
    trainings = select(Training).where(Training.deleted == False)  # noqa: E712
    groups = select(OccupationGroup).where(OccupationGroup.deleted == False)  # noqa: E712
    villages = select(Village)
    if ids is not None:
        trainings = trainings.where(one_of(Training.village_id, ids))
        groups = groups.where(one_of(OccupationGroup.village_id, ids))
        villages = villages.where(one_of(Village.id, ids))
    return Supportable({t.id: t for t in db.exec(trainings)}, {g.id: g for g in db.exec(groups)},
                       {v.id: v.name for v in db.exec(villages)})


def district_partners(db: Session, *, district_codes: list[str]) -> list[Partner]:
    """The districts' partners, the preloaded support organisations first, then by name."""
    return list(db.exec(select(Partner).where(Partner.district_code.in_(district_codes or [""]))
                        .order_by(Partner.preloaded.desc(), Partner.name)).all())


def partner_names(db: Session, *, district_code: str) -> set[str]:
    return {p.name for p in db.exec(select(Partner).where(Partner.district_code == district_code))}


def supports_in_area(db: Session, *, partners: list[Partner], within: Supportable) -> dict[int, list[PartnerSupport]]:
    """{partner id: its supports}, without those pointing outside the area."""
    supports: dict[int, list[PartnerSupport]] = {}
    for support in db.exec(select(PartnerSupport).where(PartnerSupport.partner_id.in_([p.id for p in partners] or [0]))):
        if support.training_id in within.trainings or support.group_id in within.groups:
            supports.setdefault(support.partner_id, []).append(support)
    return supports


def meetings_in_area(db: Session, *, user: User, district_codes: list[str]) -> list[PublicityMeeting]:
    """The districts' publicity meetings the user may see (district-wide ones, or in a subdistrict of the
    area), the latest first."""
    visible = area_subdistrict_codes(db, user)
    return [m for m in db.exec(select(PublicityMeeting).where(PublicityMeeting.district_code.in_(district_codes or [""]))
                               .order_by(PublicityMeeting.held_on.desc()))
            if m.subdistrict_code is None or visible is None or m.subdistrict_code in visible]
