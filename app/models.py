"""Every model, imported in one place so the metadata (and Alembic) sees all tables."""

from .answers.models import AnswerTemplate, AnswerTemplateText, AnswerTemplateUse, AnswerTemplateVersion
from .audit.models import AuditEvent
from .auth.models import User
from .auth.password_links import PasswordLink
from .auth.sessions import StaffSession
from .auth.tokens import ApiToken
from .clocks.models import ComplaintClock
from .complaints.models import Attachment, Complaint
from .intake.models import IdempotencyKey
from .mailin.models import InboundMail, InboundMailAttachment, MailboxStatus
from .manage.models import ComplaintFacts, IssuedReturn
from .manage.outcome_rollup import LocalDay, OutcomeDay, OutcomeDelta, OutcomePending, OutcomeWeek
from .notifications.models import Notification
from .receipts.models import ReceiptPrint
from .registry.models import ChainHead, IssuedDocument, NumberCounter, RegistryEntry
from .settings.models import SettingVersion
from .webhooks.models import WebhookDelivery, WebhookEndpoint
from .workflow.models import Breach, CaseMessage, ComplaintJoin, ComplaintLink, Escalation, EscalationReview
from .workflow.verdict_models import Rating, RatingRequest

__all__ = [
    "AnswerTemplate",
    "AnswerTemplateText",
    "AnswerTemplateUse",
    "AnswerTemplateVersion",
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "Breach",
    "CaseMessage",
    "ComplaintClock",
    "ChainHead",
    "Complaint",
    "ComplaintFacts",
    "ComplaintJoin",
    "ComplaintLink",
    "Escalation",
    "EscalationReview",
    "IdempotencyKey",
    "InboundMail",
    "InboundMailAttachment",
    "MailboxStatus",
    "IssuedDocument",
    "IssuedReturn",
    "Notification",
    "NumberCounter",
    "LocalDay",
    "OutcomeDay",
    "OutcomeDelta",
    "OutcomePending",
    "OutcomeWeek",
    "PasswordLink",
    "Rating",
    "RatingRequest",
    "ReceiptPrint",
    "RegistryEntry",
    "SettingVersion",
    "StaffSession",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
]
