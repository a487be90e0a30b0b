"""The public verify page: anyone holding a receipt can check it against the registry."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..complaints.access import find_by_reference
from ..extensions import db
from .chain import get_signer, intake_entry, normalise_fingerprint
from .models import RegistryEntry
from .verify import check_entry, corrections_of

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
def verify() -> str:
    form = VerifyForm(request.args)
    outcome = None
    if request.args and form.validate():
        outcome = {"valid": False, "found": False}
        complaint = find_by_reference(form.number.data)
        entry = intake_entry(complaint.id) if complaint else None
        given = normalise_fingerprint(form.fingerprint.data)
        if entry is not None and len(given) == 16 and hmac.compare_digest(
            given, entry.digest[:16].upper()
        ):
            problems = check_entry(entry, complaint, get_signer(), corrections_of(complaint.id))
            if entry.position > 1 and previous_entry_digest(entry) != entry.prev_digest:
                problems.append("the registry chain is broken before this record")
            outcome = {"found": True, "valid": not problems, "problems": problems,
                       "complaint": complaint, "entry": entry}
    return render_template("registry/verify.html", form=form, outcome=outcome)


@bp.get("/verify/registry-key.pem")
def public_key() -> Response:
    """The registry's public key, so anyone can check signatures independently."""
    return Response(get_signer().public_pem(), mimetype="application/x-pem-file")
