"""Typed SQLAlchemy models, one module per subject. Importing this package registers every table."""
from survey.models.alerts import Alert, AlertStatus
from survey.models.audit import AuditEntry
from survey.models.branding import Branding
from survey.models.changes import ChangeEntry, ChangeLink, ChangeNotice, ChangeQuote, ChangeStatus
from survey.models.contacts import Contact, ErasedAddress, Invitation
from survey.models.followups import CaseNote, CaseStatus, Complaint, FollowUpCase
from survey.models.jobs import Job, JobFile, JobState
from survey.models.outreach import ApiToken, Campaign, OutboxMessage, OutboxStatus, TriggerEvent
from survey.models.responses import Answer, Response, ResponseDraft, ResponseRevision, ResponseTag, ResponseTagRemoval
from survey.models.rollups import AnswerCount
from survey.models.surveys import QUESTION_TYPES, Question, Survey, SurveyStatus, SurveyVersion
from survey.models.teams import PRIORITIES, ChatChannel, ChatDelivery, RootCause, Team, TeamMember
from survey.models.themes import THEME_STATUSES, Theme, ThemeStatus
from survey.models.users import (
    ROLES,
    AccountPolicy,
    AccountToken,
    AccountTokenPurpose,
    PasswordResetRequest,
    RecoveryCode,
    User,
    UserStatus,
)
from survey.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookEndpoint

__all__ = [
    "AccountPolicy", "AccountToken", "AccountTokenPurpose",
    "Alert", "AlertStatus", "Answer", "AnswerCount", "ApiToken", "AuditEntry", "Branding", "Campaign", "CaseNote",
    "CaseStatus",
    "ChangeEntry", "ChangeLink", "ChangeNotice", "ChangeQuote", "ChangeStatus", "Complaint", "Contact",
    "DeliveryStatus", "ErasedAddress", "FollowUpCase", "Invitation", "Job", "JobFile", "JobState", "OutboxMessage",
    "OutboxStatus", "PasswordResetRequest", "PRIORITIES", "RecoveryCode",
    "RootCause", "Team", "TeamMember", "ChatChannel", "ChatDelivery",
    "QUESTION_TYPES", "Question", "ROLES", "Response", "ResponseDraft", "ResponseRevision", "ResponseTag",
    "ResponseTagRemoval", "Survey", "SurveyStatus", "SurveyVersion",
    "THEME_STATUSES", "Theme", "ThemeStatus", "TriggerEvent", "User", "UserStatus", "WebhookDelivery",
    "WebhookEndpoint",
]
