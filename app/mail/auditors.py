"""E-mailing each new registry checkpoint to the auditors (REGISTRY_CHECKPOINT_AUDITORS), so
copies of it live in mailboxes the registry's administrators do not control.

Sent directly through the configured transport rather than the outbox: an outbox row belongs to
a complaint, and a checkpoint is about the whole registry. A failed send is not retried here;
the file stays in the checkpoint folder and the next checkpoint (which vouches for everything
before it) goes out at the next interval.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from ..registry.checkpoints import Checkpoint
from .transport import MailAttachment, OutgoingMail, build_message, transport_from_config


def checkpoint_mail(checkpoint: Checkpoint, path: Path, auditors: tuple[str, ...]) -> OutgoingMail:
    """The e-mail: the facts in the body, the signed file attached."""
    at = checkpoint.at.isoformat(timespec="seconds")
    body = (
        f"The complaint registry's chains stood as follows at {at} (UTC):\n\n"
        f"  registry: entry #{checkpoint.position}, digest {checkpoint.digest}\n"
        f"  audit trail: event #{checkpoint.audit_position}, digest {checkpoint.audit_digest}\n\n"
        f"The attached file {path.name} says the same, signed with the registry key {checkpoint.key_id}.\n"
        "Keep it: if the registry is ever cut short, this copy shows what it held.\n"
    )
    return OutgoingMail(
        to=auditors,
        subject=f"Registry checkpoint: entry #{checkpoint.position} at {at}",
        body=body,
        language="en",
        attachments=(MailAttachment(path.name, path.read_bytes(), "application/json"),),
    )


def mail_checkpoint(checkpoint: Checkpoint, path: Path) -> list[str]:
    """Send the checkpoint to the configured auditors; the addresses that accepted it (none
    configured: nothing sent). Raises MailError when sending fails."""
    auditors = tuple(current_app.config["REGISTRY_CHECKPOINT_AUDITORS"])
    if not auditors:
        return []
    message = build_message(checkpoint_mail(checkpoint, path, auditors), sender=current_app.config["MAIL_FROM"])
    with transport_from_config(current_app.config) as transport:
        return transport.send(message)
