"""The program's records: sages, trainer teams, trainings and their sessions, households,
enrollments, attendance, surveys."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index, UniqueConstraint, event, text
from sqlmodel import Field, SQLModel

from server.core.house_numbers import house_sort_key
from server.models.base import Synced

SESSION_KINDS = ("knowledge", "study_visit", "home_practice")
ENROLLMENT_STATUSES = ("selected", "withdrawn")
SURVEY_KINDS = ("baseline", "after_training", "follow_up_3m", "follow_up_6m", "follow_up_12m")
# Every kind of survey the program has asks what the household earned in the year: an income, or
# "not known" said out loud (a blank income is a question skipped, not an answer).
INCOME_KINDS = SURVEY_KINDS


class Sage(Synced, table=True):
    """A community sage (ปราชญ์ชุมชน) in the district's registry."""

    # The registry lists an area's sages by name, 50 a page.
    __table_args__ = (Index("ix_sage_list", "deleted", "name", "id"),)

    village_id: str = Field(foreign_key="village.id", index=True)
    name: str
    citizen_id: str | None = Field(default=None, max_length=13)
    phone: str | None = None
    skills: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)  # trade codes
    skills_note: str | None = None  # what the sage teaches beyond the configured trades, in words
    found_by: str | None = None  # ศอช.ต., อช., village head…
    workshop_date: dt.date | None = None  # provincial trainer workshop attended
    note: str | None = None


class TrainerTeam(Synced, table=True):
    """A village's team of 5 community livelihood trainers for one fiscal year, led by one sage."""

    __tablename__ = "trainer_team"
    __table_args__ = (UniqueConstraint("village_id", "fiscal_year"),)

    village_id: str = Field(foreign_key="village.id", index=True)
    fiscal_year: int  # Buddhist Era, e.g. 2570
    lead_sage_id: str | None = Field(default=None, foreign_key="sage.id")
    note: str | None = None


class TeamMember(SQLModel, table=True):
    """A trainer (other than the lead) on a team; a sage from outside the village needs a note."""

    __tablename__ = "team_member"
    __table_args__ = (UniqueConstraint("team_id", "sage_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(foreign_key="trainer_team.id", index=True)
    sage_id: str = Field(foreign_key="sage.id")
    outside_note: str | None = None


class Training(Synced, table=True):
    """A village's 5-day course in one trade for one fiscal year."""

    # Reports select a fiscal year's trainings, then their villages.
    __table_args__ = (UniqueConstraint("village_id", "occupation", "fiscal_year"),
                      Index("ix_training_year_village", "fiscal_year", "village_id"))

    village_id: str = Field(foreign_key="village.id", index=True)
    occupation: str
    fiscal_year: int
    title: str | None = None


class TrainingSession(Synced, table=True):
    """One day of a training: days 1–3 knowledge, day 4 study visit, day 5 practice at home."""

    __tablename__ = "training_session"
    __table_args__ = (UniqueConstraint("training_id", "day"),)

    training_id: str = Field(foreign_key="training.id", index=True)
    day: int
    kind: str
    date: dt.date | None = None
    destination: str | None = None  # study visit
    note: str | None = None


def _house_sort_default(context) -> str:  # noqa: ANN001
    return house_sort_key(context.get_current_parameters().get("house_no"))


class Household(Synced, table=True):
    """A household of a village's register; the poorest (income per person) are selected first."""

    # The register lists an area's households by village and house number, 50 a page. Reports
    # leave out the few deleted households by an index of them alone.
    __table_args__ = (Index("ix_household_list", "village_id", "deleted", "house_sort", "id"),
                      Index("ix_household_deleted", "deleted", "id", sqlite_where=text("deleted = 1"),
                            postgresql_where=text("deleted")))

    village_id: str = Field(foreign_key="village.id", index=True)
    house_no: str
    head_name: str
    citizen_id: str | None = Field(default=None, max_length=13, index=True)
    members: int = 1
    annual_income: int | None = None  # baht per year, whole household; None: not known yet (never 0)
    phone: str | None = None
    consent: bool = False
    interest: str | None = None  # code of the trade the household wants to learn
    welfare_card: bool | None = None  # holds the state welfare card; None: not known
    note: str | None = None
    # house_sort_key(house_no), so the database sorts house numbers naturally. Kept on every write:
    # ORM writes by the events below, Core inserts by the column default, the sync engine by the
    # household spec's `derived` (server/synced/specs.py). The server default only lets the column be
    # added to a filled table without rebuilding it (see migration 0003).
    house_sort: str = Field(default="", sa_column_kwargs={"default": _house_sort_default, "server_default": ""})


@event.listens_for(Household, "before_insert")
@event.listens_for(Household, "before_update")
def _keep_house_sort(_mapper, _connection, household: Household) -> None:  # noqa: ANN001
    household.house_sort = house_sort_key(household.house_no)


class Enrollment(Synced, table=True):
    """A target household selected for a training."""

    __table_args__ = (UniqueConstraint("training_id", "household_id"),)

    training_id: str = Field(foreign_key="training.id", index=True)
    household_id: str = Field(foreign_key="household.id", index=True)
    occupation: str | None = None
    status: str = "selected"
    reason: str | None = None  # required when a richer household is chosen over a poorer one


class Attendance(Synced, table=True):
    # Reports read whether a household was present on a day of its training from the index alone.
    __table_args__ = (UniqueConstraint("session_id", "household_id"),
                      Index("ix_attendance_present", "household_id", "session_id", "present", "deleted"))

    session_id: str = Field(foreign_key="training_session.id", index=True)
    household_id: str = Field(foreign_key="household.id", index=True)
    present: bool = False
    note: str | None = None


class Survey(Synced, table=True):
    """A household's income survey of one kind (SYNC.md): it counts once it holds a date and an
    income or an explicit "unknown" (`server.program.rules.survey_complete`)."""

    # Reports read what a household's surveys say (kind, answer, income) from the index alone.
    __table_args__ = (UniqueConstraint("household_id", "kind"),
                      Index("ix_survey_answers", "household_id", "deleted", "kind", "practising_trade",
                            "annual_income", "income_unknown", "surveyed_on"))

    household_id: str = Field(foreign_key="household.id", index=True)
    kind: str
    surveyed_on: dt.date | None = None  # required of every new survey; older rows may lack it
    annual_income: int | None = None  # baht a year; None only with income_unknown
    income_unknown: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    annual_expenses: int | None = None  # baht a year
    savings: int | None = None  # baht
    debt: int | None = None  # baht
    trade_income_month: int | None = None
    practising_trade: bool | None = None
    note: str | None = None
