"""Webhook endpoints and their deliveries."""


import json
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, enum_column
from ..extensions import db
from ..notifications.models import DeliveryStatus
from .events import WebhookEvent, parse_events


class WebhookEndpoint(db.Model):
    """A receiver the administrators registered: where to post, which events, the shared secret."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    #: The event types it receives (`events.store_events`).
    events: Mapped[str] = mapped_column(String(200))
    #: The HMAC-SHA256 key of its signatures, hex (shown to administrators, who give it to the receiver).
    secret: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The last registry position the dispatcher looked at for this endpoint: it receives the
    #: events recorded after it was registered, each once.
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def event_types(self) -> frozenset[WebhookEvent]:
        return parse_events(self.events)


#: The deliveries not delivered (waiting, being sent, failed; "sent" is all the others): a few
#: beside the delivered ones, which grow for ever. The condition of the partial index
#: `ix_webhook_deliveries_undelivered`, written out as here by every query it serves.
UNDELIVERED = "webhook_deliveries.status <> 'sent'"


class WebhookDelivery(db.Model):
    """One event posted (or to be posted) to one endpoint; the body is fixed when the row is
    made, so every retry sends the same bytes."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    position: Mapped[int] = mapped_column(ForeignKey("registry_entries.position"))
    event: Mapped[WebhookEvent] = mapped_column(enum_column(WebhookEvent, 20))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus, 20), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The receiver's last HTTP status (None: no answer).
    response_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)

    endpoint: Mapped[WebhookEndpoint] = relationship()

    @property
    def number(self) -> str | None:
        """The complaint's number, as the body gives it."""
        return json.loads(self.body).get("number")

    __table_args__ = (
        # Each event of an entry once per endpoint, however many dispatchers run.
        UniqueConstraint("endpoint_id", "position", "event"),
        db.Index(
            "ix_webhook_deliveries_pending",
            "next_attempt_at",
            postgresql_where=db.text("status IN ('queued', 'sending')"),
            sqlite_where=db.text("status IN ('queued', 'sending')"),
        ),
        db.Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
        # The webhooks page's counts and an endpoint's deliveries in one of these states.
        db.Index("ix_webhook_deliveries_undelivered", "endpoint_id", "status", "id",
                 postgresql_where=db.text("status <> 'sent'"), sqlite_where=db.text("status <> 'sent'")),
    )
