"""What happens to answer templates: created, revised (a new version), retired, offered for a
complaint, filled in, and used by a letter. Operations flush, never commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..clock import now_utc
from ..complaints.errors import ComplaintChangeRefused
from ..complaints.models import Complaint
from ..extensions import db
from ..languages import SUPPORTED_LANGUAGES
from ..workflow.models import CaseMessage
from .models import AnswerTemplate, AnswerTemplateText, AnswerTemplateUse, AnswerTemplateVersion
from .placeholders import Filling, fill

log = logging.getLogger(__name__)

#: A version's texts: language -> (title, body); a language left out has no text.
Texts = dict[str, tuple[str, str]]


def _add_version(template: AnswerTemplate, texts: Texts, by: User) -> AnswerTemplateVersion:
    version = AnswerTemplateVersion(template=template, number=len(template.versions) + 1, created_by_id=by.id,
                                    created_at=now_utc())
    version.texts = [AnswerTemplateText(language=code, title=texts[code][0], body=texts[code][1])
                     for code in SUPPORTED_LANGUAGES if code in texts]
    db.session.add(version)
    return version


def texts_of(version: AnswerTemplateVersion) -> Texts:
    return {t.language: (t.title, t.body) for t in version.texts}


def create_template(*, category: str | None, texts: Texts, by: User) -> AnswerTemplate:
    """A new template with its first version."""
    template = AnswerTemplate(category=category or None, created_by_id=by.id, created_at=now_utc())
    db.session.add(template)
    _add_version(template, texts, by)
    db.session.flush()
    log.info("answer template %s created by %s", template.id, by.username)
    return template


def revise_template(template: AnswerTemplate, *, category: str | None, texts: Texts,
                    by: User) -> AnswerTemplateVersion | None:
    """Changed texts make a new version (the earlier ones stay as they were, with the letters
    started from them); the category is the template's own. None: the texts did not change."""
    if template.retired_at is not None:
        raise ComplaintChangeRefused(_("A retired template cannot be changed."))
    template.category = category or None
    version = None
    if texts != texts_of(template.current):
        version = _add_version(template, texts, by)
    db.session.flush()
    log.info("answer template %s revised by %s (new version: %s)", template.id, by.username, version is not None)
    return version


def retire_template(template: AnswerTemplate, *, by: User) -> AnswerTemplate:
    """No longer offered to officers; its versions and uses stay."""
    if template.retired_at is None:
        template.retired_at = now_utc()
        template.retired_by_id = by.id
        db.session.flush()
        log.info("answer template %s retired by %s", template.id, by.username)
    return template


def all_templates() -> list[AnswerTemplate]:
    """Every template, the active ones first, then by id."""
    return list(db.session.scalars(
        select(AnswerTemplate).options(selectinload(AnswerTemplate.versions).selectinload(AnswerTemplateVersion.texts))
        .order_by(AnswerTemplate.retired_at.is_not(None), AnswerTemplate.id)))


def offered_versions(complaint: Complaint) -> list[AnswerTemplateVersion]:
    """The current versions of the active templates for the complaint's category (or for every
    category) that are written in the complaint's language, by title."""
    templates = db.session.scalars(
        select(AnswerTemplate)
        .where(AnswerTemplate.retired_at.is_(None),
               or_(AnswerTemplate.category.is_(None), AnswerTemplate.category == complaint.category))
        .options(selectinload(AnswerTemplate.versions).selectinload(AnswerTemplateVersion.texts)))
    versions = [t.current for t in templates if t.current.text(complaint.language) is not None]
    return sorted(versions, key=lambda v: v.title(complaint.language).casefold())


@dataclass(frozen=True)
class Filled:
    version: AnswerTemplateVersion
    text: str


def fill_for(complaint: Complaint, version_id: int | None, *, officer: User, zone: str) -> Filled | None:
    """The body of one of the versions offered for `complaint`, filled in the complaint's
    language with its values; None when `version_id` is not one of them."""
    version = next((v for v in offered_versions(complaint) if v.id == version_id), None)
    if version is None:
        return None
    text = version.text(complaint.language)
    filling = Filling(complaint, officer.full_name, complaint.language, zone, now_utc())
    return Filled(version, fill(text.body, filling))


def record_use(version_id: int, message: CaseMessage, *, by: User) -> AnswerTemplateUse:
    """The letter `message` was started from template version `version_id`."""
    if db.session.get(AnswerTemplateVersion, version_id) is None:
        raise ComplaintChangeRefused(_("The template this text was started from no longer exists; insert it again."))
    use = AnswerTemplateUse(version_id=version_id, message_id=message.id, used_by_id=by.id, used_at=now_utc())
    db.session.add(use)
    db.session.flush()
    return use


def versions_used(message_ids: list[int]) -> dict[int, AnswerTemplateVersion]:
    """The template version each of these letters was started from, by message id (letters
    written from scratch are not in it)."""
    if not message_ids:
        return {}
    rows = db.session.execute(
        select(AnswerTemplateUse.message_id, AnswerTemplateVersion)
        .join(AnswerTemplateVersion, AnswerTemplateVersion.id == AnswerTemplateUse.version_id)
        .where(AnswerTemplateUse.message_id.in_(message_ids))
        .options(selectinload(AnswerTemplateVersion.texts)))
    return {message_id: version for message_id, version in rows}
