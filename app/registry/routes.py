"""The public verify page: anyone holding a receipt can check it against the registry."""

from __future__ import annotations

import hmac
import json
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..complaints.access import find_by_reference
from ..complaints.models import Complaint, Resolution
from ..extensions import db
from ..ratelimits import verify_limit
from ..settings.store import settings_at
from ..workflow.models import MessageKind
from .chain import get_signer, intake_entry
from .digest import normalise_fingerprint
from .models import EntryKind, EntryPrivate, RegistryEntry
from .verify import check_complaint_record, check_private, check_seal, corrections_of

bp = Blueprint("registry", __name__, template_folder="templates")


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only lookup by GET; nothing changes

    number = StringField(_l("Incoming number"), validators=[DataRequired(), Length(max=40)])
    fingerprint = StringField(
        _l("Fingerprint printed on the receipt"), validators=[DataRequired(), Length(max=40)]
    )


def previous_entry_digest(entry: RegistryEntry) -> str | None:
    previous = db.session.get(RegistryEntry, entry.position - 1)
    return previous.digest if previous else None


@bp.get("/verify")
@verify_limit
def verify() -> str:
    form = VerifyForm(request.args)
    outcome = None
    if request.args and form.validate():
        outcome = {"valid": False, "found": False}
        complaint = find_by_reference(form.number.data)
        given = normalise_fingerprint(form.fingerprint.data)
        entry = _printed_entry(complaint.id, given) if complaint and len(given) == 16 else None
        if entry is not None:
            outcome = {"found": True, **_checked(entry, complaint)}
    return render_template("registry/verify.html", form=form, outcome=outcome)


def _checked(entry: RegistryEntry, complaint: Complaint) -> dict[str, Any]:
    """The printed record's checks, and what it says, to compare with the paper: a doctored
    printout around a genuine number and fingerprint shows up as a difference."""
    payload = json.loads(entry.payload)
    private_row = db.session.get(EntryPrivate, entry.position)
    private_text = private_row.data if private_row else None
    problems = check_seal(entry, get_signer())
    private_problem = check_private(payload, private_text, complaint.personal_salt)
    problems += [private_problem] if private_problem else []
    private = json.loads(private_text) if private_text else {}
    if entry.position > 1 and previous_entry_digest(entry) != entry.prev_digest:
        problems.append("the registry chain is broken before this record")
    if entry.kind == EntryKind.INTAKE:
        problems += [p.what for p in check_complaint_record(complaint, payload, private, corrections_of(complaint.id))]
        registered_at = datetime.fromisoformat(payload["registered_at"])
        says = {
            "number": payload["number"],
            "registered_at": registered_at,
            "category": settings_at(registered_at).category_name(payload["category"], get_locale().language),
            "subject": private.get("subject", ""),
            "name": masked_name(private.get("complainant", {}).get("full_name", "")),
        }
        return {"valid": not problems, "problems": problems, "complaint": complaint, "entry": entry,
                "letter": None, "says": says}
    letter = private.get("letter") or {}
    says = {
        "outgoing_number": payload["message"]["outgoing_number"],
        "kind": MessageKind(payload["message"]["kind"]).title,
        "sent_at": entry.recorded_at,
        "name": masked_name(letter.get("addressee", {}).get("name", "")),
        "resolution": Resolution(letter["resolution"]).title if letter.get("resolution") else None,
    }
    return {"valid": not problems, "problems": problems, "complaint": complaint, "entry": entry,
            "letter": payload["message"], "says": says}


def masked_name(name: str) -> str:
    """'Ana Popescu' -> 'A** P******': enough to compare with the paper, not to learn the name."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in name.split())


def _printed_entry(complaint_id: int, fingerprint: str) -> RegistryEntry | None:
    """The signed entry behind a printed fingerprint: the complaint's receipt, or one of the
    outgoing letters sent about it (internal records are never found this way)."""
    intake = intake_entry(complaint_id)
    if intake is not None and hmac.compare_digest(fingerprint, intake.digest[:16].upper()):
        return intake
    for entry in db.session.scalars(
        select(RegistryEntry).where(
            RegistryEntry.complaint_id == complaint_id,
            RegistryEntry.kind == EntryKind.EVENT,
            RegistryEntry.digest.startswith(fingerprint.lower()),
        )
    ):
        message = json.loads(entry.payload).get("message") or {}
        if message.get("outgoing_number") and hmac.compare_digest(fingerprint, entry.digest[:16].upper()):
            return entry
    return None


@bp.get("/verify/registry-key.pem")
def public_key() -> Response:
    """The registry's public key, so anyone can check signatures independently."""
    return Response(get_signer().public_pem(), mimetype="application/x-pem-file")


@bp.get("/verify/registry-certificate.pem")
def document_certificate() -> Response:
    """The certificate that signs receipts and letters as PDFs (then its issuers, if any), so
    anyone can check a document offline (`pdfsig`, `flask registry verify-document`)."""
    return Response(current_app.extensions["document_signer"].certificate_pem(), mimetype="application/x-pem-file")
