"""Every model, imported in one place so the metadata (and Alembic) sees all tables."""

from .audit.models import AuditEvent
from .auth.models import User
from .complaints.models import Attachment, Complaint
from .intake.models import IdempotencyKey
from .receipts.models import ReceiptPrint
from .registry.models import ChainHead, NumberCounter, RegistryEntry

__all__ = [
    "Attachment",
    "AuditEvent",
    "ChainHead",
    "Complaint",
    "IdempotencyKey",
    "NumberCounter",
    "ReceiptPrint",
    "RegistryEntry",
    "User",
]
