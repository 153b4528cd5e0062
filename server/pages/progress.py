"""Progress and outcomes of the program, province → district → subdistrict → village, for a fiscal year."""
from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, get
from litestar.response import Redirect, Template
from sqlalchemy import distinct, select
from sqlmodel import Session

from server.audit import audit
from server.auth.web import NotFoundInArea
from server.i18n import current_locale, gettext_
from server.models import (
    Attendance,
    District,
    Enrollment,
    FiveKAssessment,
    GroupMember,
    Household,
    OccupationGroup,
    Province,
    Sage,
    Subdistrict,
    Survey,
    TeamMember,
    Training,
    TrainerTeam,
    TrainingSession,
    User,
    Village,
)
from server.models.program import SURVEY_KINDS
from server.office import five_k_elements, follow_up_months, households_per_village, occupation_names, parse_int
from server.reports import charts, figures, records, snapshots
from server.reports.formatting import Numbers
from server.reports.scope import (
    CHILD_LENGTH,
    FilterError,
    Filters,
    area_condition,
    area_name,
    home_area,
    parse_filters,
)
from server.rules import TRAINING_DAYS
from server.signoff import area_rounds, signed_off_rounds
from server.web import render

OUTCOME_BREAKDOWNS = ("district", "subdistrict", "village", "occupation")
RECORDS_PER_PAGE = 100


def today() -> dt.date:
    return dt.date.today()


def round_labels() -> dict[str, str]:
    return {"baseline": gettext_("Baseline"), "after_training": gettext_("After training"),
            "follow_up_3m": gettext_("3 months"), "follow_up_6m": gettext_("6 months"),
            "follow_up_12m": gettext_("12 months")}


def unit_names(db: Session, codes: list[str]) -> dict[str, str]:
    """Names of geocodes of one length (provinces, districts, subdistricts or villages)."""
    english = current_locale.get() == "en"
    if not codes:
        return {}
    length = len(codes[0])
    if length == 8:
        return dict(db.exec(select(Village.code, Village.name).where(Village.code.in_(codes))).all())
    table = {2: Province, 4: District, 6: Subdistrict}[length]
    return {row.code: (row.name_en if english else row.name_th)
            for row in db.exec(select(table).where(table.code.in_(codes))).scalars()}


def breadcrumbs(db: Session, area: str, home: str) -> list[tuple[str, str]]:
    """(code, name) from the widest area the user may open down to `area`."""
    english = current_locale.get() == "en"
    start = len(home) if area.startswith(home) else 0
    return [(area[:n], area_name(db, area[:n], english=english) or area[:n])
            for n in (0, 2, 4, 6, 8) if start <= n <= len(area)]


def fiscal_years(db: Session, current: int) -> list[int]:
    years = {y for (y,) in db.exec(select(distinct(Training.fiscal_year))).all()} | {current}
    return sorted(years, reverse=True)


def _filter_params(request: Request) -> dict[str, str | None]:
    return {k: request.query_params.get(k) for k in ("year", "area", "occupation")}


def numbers(request: Request) -> Numbers:
    """Arabic digits unless the page is asked for Thai ones (`?digits=thai`, used by printed reports)."""
    return Numbers(thai_digits=request.query_params.get("digits") == "thai", locale=current_locale.get())


def _common(db: Session, user: User, filters: Filters | None, request: Request) -> dict[str, Any]:
    year = filters.fiscal_year if filters else figures_year_default()
    return {"user": user, "filters": filters, "years": fiscal_years(db, year), "fmt": numbers(request),
            "trade_options": list(occupation_names(db, kind="trade").items()),
            "occupation_names": occupation_names(db), "round_labels": round_labels(),
            "crumbs_items": breadcrumbs(db, filters.area, home_area(db, user)) if filters else [],
            "goals": {"practising": figures.GOAL_PRACTISING, "income": figures.GOAL_INCOME_CHANGE,
                      "groups": figures.GOAL_GROUP_VILLAGES}}


def figures_year_default() -> int:
    from server.rules import fiscal_year_be

    return fiscal_year_be(today())


def _filter_error(db: Session, user: User, template: str, error: FilterError, request: Request) -> Template:
    return render(template, request=request, error=error, status_code=400, rows=[], total=None,
                  **_common(db, user, None, request), params=_filter_params(request))


@get("/progress", sync_to_thread=True)
def progress_page(request: Request, db: Session, user: User) -> Template | Redirect:
    try:
        filters = parse_filters(db, user, _filter_params(request), today=today())
    except FilterError as error:
        return _filter_error(db, user, "progress.html", error, request)
    if len(filters.area) == 8:
        return Redirect(path=f"/progress/villages/{filters.area}?{filters.query(area=None)}")
    area = area_condition(db, user)
    by = figures.LEVEL_BY_LENGTH[CHILD_LENGTH[len(filters.area)]]
    options = {"area": area, "filters": filters, "today": today(), "follow_up_months": follow_up_months(db),
               "five_k_codes": [e.code for e in five_k_elements(db)]}
    served = snapshots.progress_tables(db, snapshots.policy_of(request.app.state.settings),
                                       breakdowns=[by, "total"], **options)
    rows, total = served.tables[by], served.tables["total"].get("")
    names = unit_names(db, sorted(rows))
    response = render("progress.html", request=request, rows=[(k, names.get(k, k), rows[k]) for k in sorted(rows)],
                      total=total, by=by, per_village=households_per_village(db), days=range(1, TRAINING_DAYS + 1),
                      rounds=["baseline", *figures.round_kinds(options["follow_up_months"])], error=None,
                      as_of=served.as_of, params=_filter_params(request),
                      signoffs=area_rounds(db, area, filters.fiscal_year, filters.area, filters.occupation),
                      **_common(db, user, filters, request))
    response.background = served.refresh
    return response


@get("/outcomes", sync_to_thread=True)
def outcomes_page(request: Request, db: Session, user: User) -> Template:
    by = request.query_params.get("by") or ""
    try:
        filters = parse_filters(db, user, _filter_params(request), today=today())
        if by and by not in OUTCOME_BREAKDOWNS:
            raise FilterError("by", gettext_("Choose a breakdown: district, subdistrict, village or trade."))
    except FilterError as error:
        return _filter_error(db, user, "outcomes.html", error, request)
    if not by:
        by = figures.LEVEL_BY_LENGTH.get(CHILD_LENGTH.get(len(filters.area), 8), "village")
    area = area_condition(db, user)
    months = follow_up_months(db)
    served = snapshots.outcome_tables(db, snapshots.policy_of(request.app.state.settings), area=area,
                                      filters=filters, breakdowns=[by, "total"], follow_up_months=months)
    rows, total = served.tables[by], served.tables["total"].get("")
    names = occupation_names(db) if by == "occupation" else unit_names(db, sorted(rows))
    ordered = [(k, names.get(k, k), rows[k]) for k in sorted(rows)]
    kinds = figures.round_kinds(months)
    response = render("outcomes.html", request=request, rows=ordered, total=total, by=by, rounds=kinds, error=None,
                      as_of=served.as_of, breakdowns=OUTCOME_BREAKDOWNS, params=_filter_params(request),
                      practising_chart=charts.bars([(name, r.practising_share, r.followed_up)
                                                    for _k, name, r in ordered],
                                                   goal=figures.GOAL_PRACTISING, maximum=100.0),
                      income_chart=charts.bars([(name, r.income[kinds[0]].change, r.income[kinds[0]].households)
                                                for _k, name, r in ordered], goal=figures.GOAL_INCOME_CHANGE)
                      if kinds else None,
                      group_chart=charts.bars([(name, r.group_share, r.villages) for _k, name, r in ordered],
                                              goal=figures.GOAL_GROUP_VILLAGES, maximum=100.0),
                      **_common(db, user, filters, request))
    response.background = served.refresh
    return response


@get("/progress/records", sync_to_thread=True)
def records_page(request: Request, db: Session, user: User) -> Template:
    what = request.query_params.get("what") or ""
    try:
        filters = parse_filters(db, user, _filter_params(request), today=today())
        if not records.known(what, follow_up_months(db)):
            raise FilterError("what", gettext_("This list does not exist; open it from a figure on a report."))
    except FilterError as error:
        return _filter_error(db, user, "progress_records.html", error, request)
    page = max(parse_int(request.query_params.get("page")) or 1, 1)
    options = {"area": area_condition(db, user), "filters": filters, "what": what,
               "offset": (page - 1) * RECORDS_PER_PAGE, "limit": RECORDS_PER_PAGE}
    if records.is_village_list(what):
        result = records.villages(db, **options)
    else:
        result = records.households(db, today=today(), **options)
        audit(db, action="view", entity="household", user_id=user.id,
              detail={"report": what, "area": filters.area, "year": filters.fiscal_year, "page": page})
        db.commit()
    pages = max(1, -(-result.total // RECORDS_PER_PAGE))
    return render("progress_records.html", request=request, what=what, result=result, page=page, pages=pages,
                  village_list=records.is_village_list(what), error=None, params=_filter_params(request),
                  title=record_titles().get(what.partition(":")[0], what), kind=what.partition(":")[2],
                  **_common(db, user, filters, request))


def record_titles() -> dict[str, str]:
    return {"selected": gettext_("Selected households"), "withdrawn": gettext_("Withdrawn households"),
            "trained": gettext_("Trained households"), "practising": gettext_("Households practising the trade"),
            "awaiting": gettext_("Trained households awaiting a follow-up survey"),
            "missing": gettext_("Surveys due and not done"), "income": gettext_("Income before and after"),
            "villages": gettext_("Target villages"), "with_group": gettext_("Villages with an occupation group"),
            "without_group": gettext_("Villages without an occupation group")}


def village_story(db: Session, village: Village, fiscal_year: int) -> dict[str, Any]:
    """One village's year on one screen: team, training days, households with attendance and surveys, groups.

    A village has a few dozen households: its rows are loaded whole.
    """
    team = db.exec(select(TrainerTeam).where(TrainerTeam.village_id == village.id,
                                             TrainerTeam.fiscal_year == fiscal_year,
                                             TrainerTeam.deleted == False)).scalars().first()  # noqa: E712
    trainers: list[Sage] = []
    if team is not None:
        if team.lead_sage_id:
            lead = db.get(Sage, team.lead_sage_id)
            trainers += [lead] if lead else []
        trainers += list(db.exec(select(Sage).join(TeamMember, TeamMember.sage_id == Sage.id)
                                 .where(TeamMember.team_id == team.id).order_by(Sage.name)).scalars())
    trainings = list(db.exec(select(Training).where(Training.village_id == village.id,
                                                    Training.fiscal_year == fiscal_year,
                                                    Training.deleted == False)  # noqa: E712
                             .order_by(Training.occupation)).scalars())
    courses = []
    for training in trainings:
        sessions = list(db.exec(select(TrainingSession).where(TrainingSession.training_id == training.id,
                                                              TrainingSession.deleted == False)  # noqa: E712
                                .order_by(TrainingSession.day)).scalars())
        enrolled = list(db.exec(select(Enrollment, Household).join(Household, Household.id == Enrollment.household_id)
                                .where(Enrollment.training_id == training.id, Enrollment.deleted == False,  # noqa: E712
                                       Household.deleted == False)  # noqa: E712
                                .order_by(Enrollment.status.desc(), Household.house_sort)).all())
        ids = [h.id for _e, h in enrolled] or [""]
        marks = {(a.session_id, a.household_id): a.present for a in db.exec(
            select(Attendance).where(Attendance.session_id.in_([s.id for s in sessions] or [""]),
                                     Attendance.deleted == False)).scalars()}  # noqa: E712
        surveys: dict[str, dict[str, Survey]] = {}
        for survey in db.exec(select(Survey).where(Survey.household_id.in_(ids), Survey.deleted == False)).scalars():  # noqa: E712
            surveys.setdefault(survey.household_id, {})[survey.kind] = survey
        present = {s.id: sum(1 for e, h in enrolled if e.status == "selected" and marks.get((s.id, h.id)))
                   for s in sessions}
        courses.append({"training": training, "signed_off": signed_off_rounds(db, [training.id]).get(training.id),
                        "sessions": sessions, "enrolled": enrolled, "marks": marks,
                        "surveys": surveys, "present": present,
                        "selected": sum(1 for e, _h in enrolled if e.status == "selected")})
    groups = []
    for group in db.exec(select(OccupationGroup).where(OccupationGroup.village_id == village.id,
                                                       OccupationGroup.deleted == False)).scalars():  # noqa: E712
        latest = db.exec(select(FiveKAssessment).where(FiveKAssessment.group_id == group.id)
                         .order_by(FiveKAssessment.assessed_on.desc(), FiveKAssessment.id.desc())).scalars().first()
        members = len(db.exec(select(GroupMember.id).where(GroupMember.group_id == group.id)).all())
        groups.append({"group": group, "latest": latest, "members": members,
                       "score": sum(1 for v in (latest.scores if latest else {}).values() if v)})
    return {"team": team, "trainers": trainers, "courses": courses, "groups": groups}


@get("/progress/villages/{code:str}", sync_to_thread=True)
def village_page(request: Request, db: Session, user: User, code: str) -> Template:
    params = {**_filter_params(request), "area": code}
    try:
        filters = parse_filters(db, user, params, today=today())
    except FilterError as error:
        if error.field == "area":
            raise NotFoundInArea() from error
        return _filter_error(db, user, "progress_village.html", error, request)
    village = db.exec(select(Village).where(Village.code == code, Village.deleted == False)).scalars().first()  # noqa: E712
    if village is None or len(code) != 8:
        raise NotFoundInArea()
    story = village_story(db, village, filters.fiscal_year)
    audit(db, action="view", entity="household", user_id=user.id,
          detail={"report": "village", "village": code, "year": filters.fiscal_year})
    db.commit()
    return render("progress_village.html", request=request, village=village, error=None, params=params,
                  elements=five_k_elements(db), kinds=SURVEY_KINDS, today=today(), **story,
                  **_common(db, user, filters, request))


handlers = [progress_page, outcomes_page, records_page, village_page]
