"""Occupation groups, their members, 5 ก assessments, partners and publicity meetings."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.models.base import Synced, utcnow

GROUP_ROLES = ("member", "chair", "vice_chair", "secretary", "treasurer", "committee")


class OccupationGroup(Synced, table=True):
    __tablename__ = "occupation_group"

    village_id: str = Field(foreign_key="village.id", index=True)
    name: str
    category: str  # department group category (config)
    occupation: str | None = None
    registered_on: date | None = None
    phone: str | None = None
    rules: str | None = None
    activities: str | None = None
    fund_balance: int = 0
    note: str | None = None


class GroupMember(SQLModel, table=True):
    __tablename__ = "group_member"
    __table_args__ = (UniqueConstraint("group_id", "household_id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: str = Field(foreign_key="occupation_group.id", index=True)
    household_id: str = Field(foreign_key="household.id")
    role: str = "member"


class FiveKAssessment(SQLModel, table=True):
    """One scoring of a group against the 5 ก checklist; history is kept, never overwritten."""

    __tablename__ = "five_k_assessment"

    id: int | None = Field(default=None, primary_key=True)
    group_id: str = Field(foreign_key="occupation_group.id", index=True)
    assessed_on: date
    scores: dict[str, bool] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    notes: str | None = None
    assessed_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Partner(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    district_code: str = Field(foreign_key="district.code", index=True)
    name: str
    kind: str | None = None
    preloaded: bool = False


class PartnerSupport(SQLModel, table=True):
    """A partner backing a training or a group."""

    __tablename__ = "partner_support"

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    training_id: str | None = Field(default=None, foreign_key="training.id")
    group_id: str | None = Field(default=None, foreign_key="occupation_group.id")
    note: str | None = None


class PublicityMeeting(SQLModel, table=True):
    __tablename__ = "publicity_meeting"

    id: int | None = Field(default=None, primary_key=True)
    district_code: str = Field(foreign_key="district.code", index=True)
    subdistrict_code: str | None = Field(default=None, foreign_key="subdistrict.code")
    held_on: date
    audience: str
    notes: str | None = None


FUNDING_STATUSES = ("drafted", "submitted", "approved", "received", "refused")


class FundingRequest(SQLModel, table=True):
    """A request for money for a group or a training: to whom (a configured funding source), how much
    was asked and received, and where it stands."""

    __tablename__ = "funding_request"

    id: int | None = Field(default=None, primary_key=True)
    group_id: str | None = Field(default=None, foreign_key="occupation_group.id", index=True)
    training_id: str | None = Field(default=None, foreign_key="training.id", index=True)
    source: str = Field(max_length=32)  # code of a funding source (configuration)
    amount_asked: int
    status: str = Field(default="drafted", max_length=16)
    asked_on: date | None = None
    decided_on: date | None = None
    received_on: date | None = None
    amount_received: int = 0
    proposal_file: str | None = Field(default=None, max_length=200)  # the proposal's file name
    note: str | None = None
    created_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
