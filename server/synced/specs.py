"""The entities phones sync (SYNC.md, Entities), described for the framework-free sync engine."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, select
from sqlmodel import Session

from server.core.house_numbers import house_sort_key
from server.program import rules
from server.program.record_rules import (
    check_attendance_record,
    check_enrollment_record,
    check_household_record,
    check_sage_record,
    check_session_record,
    check_survey_record,
)
from server.program.round_locks import LOCKS
from server.models import (
    Attendance,
    Conflict,
    District,
    Enrollment,
    GroupMember,
    Household,
    Occupation,
    OccupationGroup,
    Sage,
    Subdistrict,
    Survey,
    TeamMember,
    TrainerTeam,
    Training,
    TrainingSession,
    Village,
)
from server.models.review import ReviewTask
from server.program import field_checks
from server.review.task_rules import (
    check_review_task,
    phone_may_change_task,
    tasks_following,
)
from server.synced import refusals
from sync.lists import in_list
from sync.spec import EntitySpec, ErrorCatalog, Registry


# The engine's reads, on the tables' columns: plain statements, which skip the ORM's step on every
# execution (a push reads every scope it touches, a pull enriches every page).
def _own_village(model) -> Select:
    c = model.__table__.c
    return select(c.id, c.village_id, c.deleted).where(in_list(c.id, "ids"))


def _via_household(model) -> Select:
    c, household = model.__table__.c, Household.__table__.c
    return (select(c.id, household.village_id, c.deleted)
            .select_from(model.__table__.join(Household.__table__, household.id == c.household_id))
            .where(in_list(c.id, "ids")))


_V, _S, _T = Village.__table__.c, TrainingSession.__table__.c, Training.__table__.c
_village_scope = select(_V.id, _V.id.label("village_id"), _V.deleted).where(in_list(_V.id, "ids"))
_session_scope = (select(_S.id, _T.village_id, _S.deleted)
                  .select_from(TrainingSession.__table__.join(Training.__table__, _T.id == _S.training_id))
                  .where(in_list(_S.id, "ids")))


def _prepare_citizen_id(fields: dict[str, Any]) -> dict[str, Any]:
    if isinstance(fields.get("citizen_id"), str):
        fields["citizen_id"] = field_checks.normalize_citizen_id(fields["citizen_id"])
    return fields


def _check_household(values: dict[str, Any]) -> list[field_checks.FieldError]:
    # A phone may register a household before its survey: an income left out is unknown (NULL).
    return (field_checks.check_reference("village_id", values.get("village_id"))
            + rules.check_household(values, income_known=False))


def _household_derived(values: dict[str, Any]) -> dict[str, Any]:
    return {"house_sort": house_sort_key(values.get("house_no"))}


def _check_sage(values: dict[str, Any]) -> list[field_checks.FieldError]:
    errors = field_checks.check_reference("village_id", values.get("village_id"))
    errors += field_checks.check_text_list("skills", values.get("skills"))
    errors += field_checks.check_date("workshop_date", values.get("workshop_date"))
    # check_sage reads skills as a list; a malformed list has been answered just above.
    skills = values.get("skills") if isinstance(values.get("skills"), list) else []
    return errors + rules.check_sage({**values, "skills": skills})


# The enrichments' statements, built once (a pull runs several a page): `:ids` is a list of ids.
_SUB, _DIS = Subdistrict.__table__.c, District.__table__.c
_PLACE_NAMES = (select(_SUB.code, _SUB.name_th, _SUB.name_en, _DIS.name_th.label("district_th"),
                       _DIS.name_en.label("district_en"))
                .select_from(Subdistrict.__table__.join(District.__table__, _DIS.code == _SUB.district_code))
                .where(in_list(_SUB.code, "ids")))
_TRAINING_VILLAGES = select(_T.id, _T.village_id).where(in_list(_T.id, "ids"))
_TM, _GM, _C = TeamMember.__table__.c, GroupMember.__table__.c, Conflict.__table__.c
_TEAM_MEMBERS = select(_TM.team_id, _TM.sage_id).where(in_list(_TM.team_id, "ids")).order_by(_TM.id)
_GROUP_MEMBERS = (select(_GM.group_id, _GM.household_id, _GM.role)
                  .where(in_list(_GM.group_id, "ids")).order_by(_GM.id))
_SETTLED = (select(_C.id, _C.record_id, _C.field, _C.resolved_value, _C.other, _C.other_op_id, _C.resolved_at)
            .where(in_list(_C.record_id, "ids"), _C.status == "resolved")
            .order_by(_C.resolved_at.desc()))


def _enrich_villages(session: Session, found: dict[str, dict[str, Any]]) -> None:
    """Village pages on the phone show the subdistrict and district by name."""
    codes = list({f["subdistrict_code"] for f in found.values()})
    names = {row[0]: row[1:] for row in session.execute(_PLACE_NAMES, {"ids": codes})}
    for fields in found.values():
        sub_th, sub_en, dis_th, dis_en = names.get(fields["subdistrict_code"], (None,) * 4)
        fields.update(subdistrict_name_th=sub_th, subdistrict_name_en=sub_en,
                      district_name_th=dis_th, district_name_en=dis_en)


def _enrich_sessions(session: Session, found: dict[str, dict[str, Any]]) -> None:
    """A session carries its training's village, so the phone can list a village's schedule."""
    training_ids = list({f["training_id"] for f in found.values()})
    villages = dict(session.execute(_TRAINING_VILLAGES, {"ids": training_ids}).all())
    for fields in found.values():
        fields["village_id"] = villages.get(fields["training_id"])


def _enrich_teams(session: Session, found: dict[str, dict[str, Any]]) -> None:
    members: dict[str, list[str]] = {team_id: [] for team_id in found}
    for team_id, sage_id in session.execute(_TEAM_MEMBERS, {"ids": list(found)}):
        members[team_id].append(sage_id)
    for team_id, fields in found.items():
        fields["member_sage_ids"] = members[team_id]


def _enrich_groups(session: Session, found: dict[str, dict[str, Any]]) -> None:
    """A group carries its members (household and role), kept in a table of their own."""
    members: dict[str, list[dict[str, str]]] = {group_id: [] for group_id in found}
    for group_id, household_id, role in session.execute(_GROUP_MEMBERS, {"ids": list(found)}):
        members[group_id].append({"household_id": household_id, "role": role})
    for group_id, fields in found.items():
        fields["members"] = members[group_id]


RESOLVED_SHOWN = 20  # the latest settlements a record carries to phones


def _enrich_settled(session: Session, found: dict[str, dict[str, Any]]) -> None:
    """A record whose conflicts a supervisor settled carries them (`resolved_conflicts`: the field, the
    value kept, the value that lost), so the phone that sent the losing value can tell its officer.
    Only records that have any carry the field (SYNC.md: more fields may be added)."""
    rows = session.execute(_SETTLED, {"ids": list(found)}).all()
    for conflict_id, record_id, field, value, other, op_id, at in rows:
        settled = found[record_id].setdefault("resolved_conflicts", [])
        if len(settled) < RESOLVED_SHOWN:
            settled.append({"conflict_id": conflict_id, "field": field, "kept": value, "other": other,
                            "op_id": op_id, "resolved_at": _utc_iso(at)})


def _utc_iso(moment: Any) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)).isoformat()


def _occupations(session: Session) -> list[dict[str, Any]]:
    return [{"id": code, "kind": kind, "name_th": name_th, "name_en": name_en, "sort_order": order,
             "active": active, "deleted": not active}
            for code, kind, name_th, name_en, order, active in session.execute(_PHONE_OCCUPATIONS)]


# Funding sources are an office list: phones need the trades and the group categories only.
_O = Occupation.__table__.c
_PHONE_OCCUPATIONS = (select(_O.code, _O.kind, _O.name_th, _O.name_en, _O.sort_order, _O.active)
                      .where(_O.kind != "funding_source").order_by(_O.sort_order, _O.code))


ERRORS = ErrorCatalog(
    unknown_entity=refusals.unknown_entity, unknown_field=refusals.unknown_field,
    unknown_reference=refusals.unknown_reference, forbidden=refusals.forbidden, deleted=refusals.deleted,
    not_found=refusals.not_found, immutable=refusals.immutable, invalid=field_checks.invalid_value,
    required=field_checks.required, op_id_taken=refusals.op_id_taken,
)

TEXT, INT, BOOL, DATE, LIST, REF = "text", "int", "bool", "date", "list", "ref"

ENTITIES = [
    EntitySpec(
        name="household", table=Household.__table__, scope="village_id",
        kinds={"village_id": REF, "house_no": TEXT, "head_name": TEXT, "citizen_id": TEXT,
               "members": INT, "annual_income": INT, "phone": TEXT, "consent": BOOL,
               "interest": TEXT, "welfare_card": BOOL, "note": TEXT},
        refs={"village_id": "village"}, required=("village_id", "house_no", "head_name"),
        defaults={"members": 1, "consent": False},
        validate=_check_household, check=check_household_record, prepare=_prepare_citizen_id,
        scope_select=_own_village(Household), enrich=_enrich_settled,
        derived=_household_derived,
    ),
    EntitySpec(
        name="sage", table=Sage.__table__, scope="village_id",
        kinds={"village_id": REF, "name": TEXT, "citizen_id": TEXT, "phone": TEXT, "skills": LIST,
               "skills_note": TEXT, "found_by": TEXT, "workshop_date": DATE, "note": TEXT},
        refs={"village_id": "village"}, required=("village_id", "name"), defaults={"skills": []},
        validate=_check_sage, check=check_sage_record, prepare=_prepare_citizen_id,
        scope_select=_own_village(Sage),
    ),
    EntitySpec(
        name="enrollment", table=Enrollment.__table__, scope="household_id",
        kinds={"training_id": REF, "household_id": REF, "occupation": TEXT, "status": TEXT, "reason": TEXT},
        refs={"training_id": "training", "household_id": "household"},
        natural_key=("training_id", "household_id"), required=("training_id", "household_id"),
        defaults={"status": "selected"}, validate=rules.check_enrollment, check=check_enrollment_record,
        scope_select=_via_household(Enrollment), enrich=_enrich_settled, locked=LOCKS["enrollment"],
    ),
    EntitySpec(
        name="attendance", table=Attendance.__table__, scope="household_id",
        kinds={"session_id": REF, "household_id": REF, "present": BOOL, "note": TEXT},
        refs={"session_id": "session", "household_id": "household"},
        natural_key=("session_id", "household_id"), required=("session_id", "household_id"),
        defaults={"present": False}, validate=rules.check_attendance, check=check_attendance_record,
        scope_select=_via_household(Attendance), enrich=_enrich_settled, locked=LOCKS["attendance"],
    ),
    EntitySpec(
        name="survey", table=Survey.__table__, scope="household_id",
        kinds={"household_id": REF, "kind": TEXT, "surveyed_on": DATE, "annual_income": INT,
               "income_unknown": BOOL, "annual_expenses": INT, "savings": INT, "debt": INT,
               "trade_income_month": INT, "practising_trade": BOOL, "note": TEXT},
        refs={"household_id": "household"}, natural_key=("household_id", "kind"),
        required=("household_id", "kind", "surveyed_on"), defaults={"income_unknown": False},
        validate=rules.check_survey, check=check_survey_record,
        scope_select=_via_household(Survey), enrich=_enrich_settled, locked=LOCKS["survey"],
    ),
    # Reference data: pulled by phones, changed only in the office. A natural key here is a uniqueness
    # the office's writes keep (server.synced.write), never a merge rule.
    EntitySpec(
        name="village", table=Village.__table__, scope="id", pushable=False,
        kinds={"code": TEXT, "subdistrict_code": TEXT, "number": INT, "name": TEXT, "participating": BOOL},
        scope_select=_village_scope, enrich=_enrich_villages,
    ),
    EntitySpec(
        name="training", table=Training.__table__, scope="village_id", pushable=False,
        kinds={"village_id": REF, "occupation": TEXT, "fiscal_year": INT, "title": TEXT},
        refs={"village_id": "village"}, natural_key=("village_id", "occupation", "fiscal_year"),
        scope_select=_own_village(Training),
    ),
    EntitySpec(
        name="session", table=TrainingSession.__table__, scope="training_id", pushable=False,
        kinds={"training_id": REF, "day": INT, "kind": TEXT, "date": DATE, "destination": TEXT, "note": TEXT},
        refs={"training_id": "training"}, natural_key=("training_id", "day"), scope_select=_session_scope,
        enrich=_enrich_sessions, check=check_session_record,
    ),
    EntitySpec(
        name="team", table=TrainerTeam.__table__, scope="village_id", pushable=False,
        kinds={"village_id": REF, "fiscal_year": INT, "lead_sage_id": REF, "note": TEXT},
        refs={"village_id": "village", "lead_sage_id": "sage"}, natural_key=("village_id", "fiscal_year"),
        scope_select=_own_village(TrainerTeam), enrich=_enrich_teams,
    ),
    EntitySpec(
        name="group", table=OccupationGroup.__table__, scope="village_id", pushable=False,
        kinds={"village_id": REF, "name": TEXT, "category": TEXT, "occupation": TEXT, "registered_on": DATE,
               "phone": TEXT, "rules": TEXT, "activities": TEXT, "fund_balance": INT, "note": TEXT},
        refs={"village_id": "village"}, validate=rules.check_group, scope_select=_own_village(OccupationGroup),
        enrich=_enrich_groups,
    ),
]

# A supervisor's "needs fix" on a record: its village is the record's, kept by the server (server.review).
ENTITIES.append(EntitySpec(
    name="review_task", table=ReviewTask.__table__, scope="village_id",
    kinds={"record_entity": TEXT, "record_id": TEXT, "note": TEXT, "status": TEXT, "fixed_note": TEXT},
    required=("record_entity", "record_id", "note"), defaults={"status": "open"},
    validate=check_review_task, device_check=phone_may_change_task, scope_select=_own_village(ReviewTask),
))

REGISTRY = Registry(entities={spec.name: spec for spec in ENTITIES}, errors=ERRORS,
                    reference_tables={"occupation": _occupations}, followers=tasks_following)
