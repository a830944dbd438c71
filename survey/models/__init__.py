"""Typed SQLAlchemy models, one module per subject. Importing this package registers every table."""
from survey.models.alerts import Alert
from survey.models.changes import ChangeEntry, ChangeLink, ChangeNotice, ChangeQuote
from survey.models.contacts import Contact, ErasedAddress, Invitation
from survey.models.followups import CaseNote, Complaint, FollowUpCase
from survey.models.outreach import ApiToken, AuditEntry, Campaign, OutboxMessage, TriggerEvent
from survey.models.responses import Answer, Response, ResponseDraft, ResponseRevision, ResponseTag
from survey.models.rollups import AnswerCount
from survey.models.surveys import QUESTION_TYPES, Question, Survey, SurveyVersion
from survey.models.users import ROLES, User
from survey.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "Alert", "Answer", "AnswerCount", "ApiToken", "AuditEntry", "Campaign", "ChangeEntry", "ChangeLink",
    "CaseNote", "ChangeNotice", "ChangeQuote", "Complaint", "Contact", "ErasedAddress", "FollowUpCase", "Invitation",
    "OutboxMessage", "QUESTION_TYPES", "Question", "ROLES", "Response", "ResponseDraft", "ResponseRevision",
    "ResponseTag", "Survey", "SurveyVersion", "TriggerEvent", "User", "WebhookDelivery", "WebhookEndpoint",
]
