"""Every table, imported together so the mappers and Alembic see the whole schema."""
from server.models.audit import AuditEntry
from server.models.base import Synced, new_id, utcnow
from server.models.config import AppSetting, FiveKElement, Occupation, PovertyLine
from server.models.geography import District, Province, Subdistrict, Village
from server.models.imports import ImportMapping, ImportPreview
from server.models.groups import (
    FiveKAssessment,
    FundingRequest,
    GroupMember,
    OccupationGroup,
    Partner,
    PartnerSupport,
    PublicityMeeting,
)
from server.models.program import (
    Attendance,
    Enrollment,
    Household,
    Sage,
    Survey,
    TeamMember,
    Training,
    TrainerTeam,
    TrainingSession,
)
from server.models.reports import ReportSnapshot
from server.models.review import ReviewTask
from server.models.signoff import RoundSignoff
from server.models.syncstate import ChangeFeed, Conflict, FeedDeparture, PullArea, SyncCounter, SyncOp
from server.models.syncstate import DevicePullArea
from server.models.users import Device, LoginThrottle, User, UserArea, WebSession

__all__ = [name for name in dir() if not name.startswith("_")]
