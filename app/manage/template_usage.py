"""How often each answer template was used: the letters started from it that were sent in a
period (and, when the filter names one, about complaints of that category). The analysis page
(app/manage/analysis.py) shows it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import selectinload

from ..complaints.filters import ComplaintFilter
from ..complaints.models import Complaint
from ..extensions import db
from ..workflow.models import CaseMessage
from .models import AnswerTemplate, AnswerTemplateUse, AnswerTemplateVersion


@dataclass(frozen=True)
class TemplateUsage:
    template: AnswerTemplate
    letters: int  # letters sent, started from the template
    versions: int  # how many of its versions they were started from


def template_usage(f: ComplaintFilter) -> list[TemplateUsage]:
    """Per template, the letters sent in `f`'s period started from it, the most used first."""
    query = (select(AnswerTemplateVersion.template_id, func.count(AnswerTemplateUse.id),
                    func.count(distinct(AnswerTemplateUse.version_id)))
             .join(AnswerTemplateVersion, AnswerTemplateVersion.id == AnswerTemplateUse.version_id)
             .group_by(AnswerTemplateVersion.template_id))
    if f.registered_from is not None:
        query = query.where(AnswerTemplateUse.used_at >= f.registered_from)
    if f.registered_before is not None:
        query = query.where(AnswerTemplateUse.used_at < f.registered_before)
    if f.category is not None:
        query = (query.join(CaseMessage, CaseMessage.id == AnswerTemplateUse.message_id)
                 .join(Complaint, Complaint.id == CaseMessage.complaint_id)
                 .where(Complaint.category == f.category))
    counts = {template_id: (letters, versions) for template_id, letters, versions in db.session.execute(query)}
    templates = db.session.scalars(
        select(AnswerTemplate).where(AnswerTemplate.id.in_(counts))
        .options(selectinload(AnswerTemplate.versions).selectinload(AnswerTemplateVersion.texts)))
    usage = [TemplateUsage(t, *counts[t.id]) for t in templates]
    return sorted(usage, key=lambda u: (-u.letters, u.template.id))
