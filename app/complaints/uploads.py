"""Uploaded evidence, checked once for every form that takes files: the complaint form (web and
desk), the complainant's reply and dispute, the officer's letters and the desk's later
documents. By content, within the per-file, per-form and total-storage limits; a refused file
is named in its field's error, as the form shows it."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from wtforms import Field

from ..extensions import db
from .storage import (
    ALLOWED_TYPES,
    EXTENSIONS,
    Evidence,
    detect_content_type,
    has_room_for,
    name_fits_type,
    safe_filename,
)

log = logging.getLogger(__name__)


def uploaded_files(field: Field) -> list[Any]:
    """The files a file field received (an empty input sends one nameless part)."""
    return [f for f in (field.data or []) if getattr(f, "filename", "")]


def checked_evidence(field: Field) -> tuple[Evidence, ...] | None:
    """The files of `field`, checked by content; None (with the message in the field's errors)
    if one is refused or the store has no room for them."""
    files = uploaded_files(field)
    config = current_app.config
    limit = config["ATTACHMENT_MAX_BYTES"]
    if len(files) > config["ATTACHMENT_MAX_FILES"]:
        field.errors = [*field.errors, lazy_ngettext("Attach at most %(num)d file.", "Attach at most %(num)d files.",
                                                     config["ATTACHMENT_MAX_FILES"])]
        return None
    evidence = []
    for upload in files:
        name = safe_filename(upload.filename)
        content = upload.stream.read(limit + 1)
        upload.close()  # a large upload is spooled to a temporary file: let it go now
        if len(content) > limit:
            message = _l("%(name)s is larger than %(mb)d MB.", name=name, mb=limit // (1024 * 1024))
        elif not content:
            message = _l("%(name)s is empty.", name=name)
        elif (content_type := detect_content_type(content, name)) is None:
            message = _l(
                "%(name)s is not an accepted file type (accepted: %(types)s).",
                name=name,
                types=", ".join(sorted(set(ALLOWED_TYPES.values()))),
            )
        elif not name_fits_type(name, content_type):
            message = _l(
                "%(name)s is really a %(kind)s file, which its name does not say; rename it to end in %(ext)s.",
                name=name, kind=ALLOWED_TYPES[content_type], ext=EXTENSIONS[content_type][0],
            )
        else:
            evidence.append(Evidence(filename=name, content_type=content_type, content=content))
            continue
        field.errors = [*field.errors, message]
        return None
    if not has_room_for(db.session, evidence, config["EVIDENCE_STORAGE_MAX_BYTES"]):
        log.warning("evidence storage full (EVIDENCE_STORAGE_MAX_BYTES=%d): a submission with files refused",
                    config["EVIDENCE_STORAGE_MAX_BYTES"])
        field.errors = [*field.errors, _l(
            "The registry cannot store more evidence files just now: its storage for them is full. "
            "Send the complaint without the files and bring or post them later, or try again later."
        )]
        return None
    return tuple(evidence)
