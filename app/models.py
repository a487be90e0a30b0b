"""Every model, imported in one place so the metadata (and Alembic) sees all tables."""

from .audit.models import AuditEvent
from .auth.models import User
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
from .workflow.models import Breach, CaseMessage, Escalation
from .workflow.verdict_models import Rating, RatingRequest

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "Breach",
    "CaseMessage",
    "ComplaintClock",
    "ChainHead",
    "Complaint",
    "ComplaintFacts",
    "Escalation",
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
    "Rating",
    "RatingRequest",
    "ReceiptPrint",
    "RegistryEntry",
    "SettingVersion",
    "StaffSession",
    "User",
]
