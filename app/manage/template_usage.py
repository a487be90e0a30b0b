"""How often each answer template was used: the letters started from it that were sent in a
period (and, when the filter names one, about complaints of that category). The analysis page
(app/manage/analysis.py) shows it; a figure of the management layer, read from its outcome
rollups."""

from __future__ import annotations

from datetime import UTC, datetime

from msgspec import Struct
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..answers.models import AnswerTemplate, AnswerTemplateUse, AnswerTemplateVersion
from ..complaints.filters import ComplaintFilter
from ..complaints.models import Complaint
from ..extensions import db
from ..workflow.models import CaseMessage
from . import outcome_rollup

#: After every local day the outcome rollups keep (to 2169): the end of a period with none.
NO_END = datetime(2200, 1, 1, tzinfo=UTC)


class TemplateUsage(Struct, frozen=True):
    template: AnswerTemplate
    letters: int  # letters sent, started from the template
    versions: int  # how many of its versions they were started from


def template_usage(f: ComplaintFilter) -> list[TemplateUsage]:
    """Per template, the letters sent in `f`'s period started from it, the most used first.
    Without a category, the letters per version come from the outcome rollups (their whole days;
    app/manage/outcome_rollup.py): bounded by the templates' versions, not by the letters."""
    per_version = _per_version(f) if f.category is None else _per_version_live(f)
    if not per_version:
        return []
    templates = db.session.scalars(
        select(AnswerTemplate)
        .where(AnswerTemplate.id.in_(select(AnswerTemplateVersion.template_id)
                                     .where(AnswerTemplateVersion.id.in_(per_version))))
        .options(selectinload(AnswerTemplate.versions).selectinload(AnswerTemplateVersion.texts)))
    usage = []
    for template in templates:
        used = [per_version[v.id] for v in template.versions if v.id in per_version]
        usage.append(TemplateUsage(template, sum(used), len(used)))
    return sorted(usage, key=lambda u: (-u.letters, u.template.id))


def _per_version(f: ComplaintFilter) -> dict[int, int]:
    """Letters per template version in `f`'s period (any category), from the outcome rollups;
    a period with no end runs past the last day they keep."""
    end = f.registered_before if f.registered_before is not None else NO_END
    lines = (outcome_rollup.counts(f.registered_from, end, None, outcome_rollup.USES)
             if f.registered_from is not None else outcome_rollup.before(end, None, outcome_rollup.USES))
    return {int(line.item): line.complaints for line in lines if line.complaints}


def _per_version_live(f: ComplaintFilter) -> dict[int, int]:
    """Letters per template version in `f`'s period about complaints of its category (the
    category the complaint has now), counted from the uses."""
    query = (select(AnswerTemplateUse.version_id, func.count())
             .join(CaseMessage, CaseMessage.id == AnswerTemplateUse.message_id)
             .join(Complaint, Complaint.id == CaseMessage.complaint_id)
             .where(Complaint.category == f.category).group_by(AnswerTemplateUse.version_id))
    if f.registered_from is not None:
        query = query.where(AnswerTemplateUse.used_at >= f.registered_from)
    if f.registered_before is not None:
        query = query.where(AnswerTemplateUse.used_at < f.registered_before)
    return {version: int(n) for version, n in db.session.execute(query)}
