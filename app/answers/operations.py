"""What happens to answer templates: created, revised (a new version), retired, offered for a
complaint, filled in, and used by a letter. Operations flush, never commit; a manager's change
(create, revise, retire) is in the audit trail with its old and new values."""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from msgspec import Struct
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..audit.models import AuditAction
from ..audit.service import record
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


def _audit_target(template: AnswerTemplate, texts: Texts) -> str:
    """"answer template 7 (Withdrawal delayed)": its id, and its title in its first language."""
    title = next(iter(texts.values()))[0] if texts else ""
    return f"answer template {template.id} ({title})"[:100]


def _text_changes(old: Texts, new: Texts) -> tuple[list[dict], list[str]]:
    """The titles changed, old → new per language (None: no text in it), and the languages whose
    text changed (the texts themselves are kept by the versions)."""
    none = (None, None)
    titles = [{"field": f"title_{code}", "old": old.get(code, none)[0], "new": new.get(code, none)[0]}
              for code in SUPPORTED_LANGUAGES if old.get(code, none)[0] != new.get(code, none)[0]]
    bodies = [code for code in SUPPORTED_LANGUAGES if old.get(code, none)[1] != new.get(code, none)[1]]
    return titles, bodies


def create_template(*, category: str | None, texts: Texts, by: User) -> AnswerTemplate:
    """A new template with its first version; audited with its category, languages and title."""
    template = AnswerTemplate(category=category or None, created_by_id=by.id, created_at=now_utc())
    db.session.add(template)
    _add_version(template, texts, by)
    db.session.flush()
    record(AuditAction.TEMPLATE_CREATED, target=_audit_target(template, texts), user=by, details={
        "category": template.category, "version": 1,
        "languages": [code for code in SUPPORTED_LANGUAGES if code in texts]})
    log.info("answer template %s created by %s", template.id, by.username)
    return template


def revise_template(template: AnswerTemplate, *, category: str | None, texts: Texts,
                    by: User) -> AnswerTemplateVersion | None:
    """Changed texts make a new version (the earlier ones stay as they were, with the letters
    started from them); the category is the template's own. None: the texts did not change."""
    if template.retired_at is not None:
        raise ComplaintChangeRefused(_("A retired template cannot be changed."))
    old_category, old_texts, old_number = template.category, texts_of(template.current), template.current.number
    template.category = category or None
    version = None
    if texts != old_texts:
        version = _add_version(template, texts, by)
    db.session.flush()
    changes = [{"field": "category", "old": old_category, "new": template.category}] \
        if old_category != template.category else []
    titles, bodies = _text_changes(old_texts, texts)
    if version is not None:
        changes += [{"field": "version", "old": old_number, "new": version.number}, *titles]
    if changes:
        record(AuditAction.TEMPLATE_REVISED, target=_audit_target(template, texts), user=by,
               details={"changes": changes, **({"texts": bodies} if bodies else {})})
    log.info("answer template %s revised by %s (new version: %s)", template.id, by.username, version is not None)
    return version


def retire_template(template: AnswerTemplate, *, by: User) -> AnswerTemplate:
    """No longer offered to officers; its versions and uses stay."""
    if template.retired_at is None:
        template.retired_at = now_utc()
        template.retired_by_id = by.id
        db.session.flush()
        record(AuditAction.TEMPLATE_RETIRED, target=_audit_target(template, texts_of(template.current)), user=by,
               details={"version": template.current.number, "changes": [{"field": "active", "old": True,
                                                                          "new": False}]})
        log.info("answer template %s retired by %s", template.id, by.username)
    return template


def active_templates() -> list[AnswerTemplate]:
    """The templates offered to officers (not retired), by id, with their versions' texts."""
    return list(db.session.scalars(
        select(AnswerTemplate).where(AnswerTemplate.retired_at.is_(None))
        .options(selectinload(AnswerTemplate.versions).selectinload(AnswerTemplateVersion.texts))
        .order_by(AnswerTemplate.id)))


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


class Filled(Struct, frozen=True):
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


def check_version(version_id: int) -> None:
    """A letter may say it was started from template version `version_id` only if there is one
    (a version of a retired or since revised template too: the letter was started before)."""
    if db.session.get(AnswerTemplateVersion, version_id) is None:
        raise ComplaintChangeRefused(_("The template this text was started from no longer exists; insert it again."))


def record_use(version_id: int, message: CaseMessage, *, by: User) -> AnswerTemplateUse:
    """The letter `message` was started from template version `version_id`."""
    check_version(version_id)
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
