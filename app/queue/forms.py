"""The queue's forms. The filter form: read from the query string (a GET search, no CSRF token) and shown
again with what was chosen. Whose complaints it shows defaults to the user's own and their
tier's (a complaint transferred to them rose to their tier; one that rose past them, or that
they took below their tier, is still theirs), or to every open complaint for someone who works
at no tier. The bulk form: management's action on the complaints ticked."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..auth.models import User
from ..complaints.guards import MAX_TEXT_LENGTH
from ..forms import AppForm
from ..settings.tiers import TierPolicy
from ..text import clean_text, row_id
from .bulk import BULK_MAX, BulkAction, Refusal
from .queries import DueFilter, QueueFilter, Scope


def _clean(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


class QueueFilterForm(AppForm):
    class Meta:
        csrf = False  # a read-only search by GET

    show = SelectField(_l("Show"), validate_choice=True)
    tier = SelectField(_l("Tier"), validators=[Optional()], validate_choice=True)
    due = SelectField(_l("Deadline"), validators=[Optional()], validate_choice=True)

    def __init__(
        self, formdata: Any, *, user_tier: int | None, policy: TierPolicy, language: str, **kwargs: Any
    ) -> None:
        default = Scope.MINE_AND_TIER if user_tier is not None else Scope.ALL
        super().__init__(formdata, show=default.value, **kwargs)
        self.user_tier = user_tier
        scopes = []
        if user_tier is not None:
            scopes.append((Scope.MINE_AND_TIER.value, _l("Mine and my tier")))
        scopes.append((Scope.MINE.value, _l("Mine")))
        if user_tier is not None:
            scopes.append((Scope.MY_TIER.value, _l("My tier")))
        scopes += [(Scope.UNASSIGNED.value, _l("Unassigned")), (Scope.ALL.value, _l("All open"))]
        self.show.choices = scopes
        self.tier.choices = [("", _l("Any"))] + [(str(t.level), t.name(language)) for t in policy.tiers]
        self.due.choices = [
            ("", _l("All")),
            (DueFilter.OVERDUE.value, _l("Overdue")),
            (DueFilter.DUE_SOON.value, _l("Due soon")),
        ]

    def to_filter(self, user_id: int) -> QueueFilter:
        """The filter the (validated) fields stand for, for the user `user_id`."""
        return QueueFilter(
            scope=Scope(self.show.data),
            user_id=user_id,
            user_tier=self.user_tier,
            tier=int(self.tier.data) if self.tier.data else None,
            due=DueFilter(self.due.data) if self.due.data else None,
        )


class SelectionField(Field):
    """The complaints ticked in the queue (each checkbox named like this field): their ids,
    whole numbers in the digits 0-9, at least one and at most BULK_MAX, each once."""

    def _value(self) -> str:
        return ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = []

    def pre_validate(self, form: Any) -> None:
        values = self.raw_data or []
        if not values:
            raise ValidationError(_l("Select at least one complaint."))
        if len(values) > BULK_MAX:
            raise ValidationError(_l("Select at most %(n)d complaints at a time.", n=BULK_MAX))
        ids = [row_id(value) if isinstance(value, str) else None for value in values]
        if any(i is None for i in ids):
            raise ValidationError(_l("The selection is not valid: reload the queue and select again."))
        self.data = list(dict.fromkeys(ids))


class BulkForm(AppForm):
    """A bulk action on the complaints ticked in the queue: assign them to an officer, or move
    them to a tier (with a reason). What was chosen and ticked is shown again when refused."""

    ids = SelectionField()
    action = SelectField(_l("Action"), validators=[DataRequired(_l("Choose an action."))])
    to = SelectField(_l("Officer"), coerce=int, validators=[Optional()])
    tier = SelectField(_l("Tier"), coerce=int, validators=[Optional()])
    note = TextAreaField(_l("Reason or instruction (a reason is required to move)"), filters=[_clean],
                         validators=[Optional(), Length(max=MAX_TEXT_LENGTH)])

    def __init__(self, *args: Any, officers: list[User], policy: TierPolicy, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action.choices = [(BulkAction.ASSIGN.value, _l("Assign to an officer")),
                               (BulkAction.MOVE.value, _l("Move to a tier"))]
        self.to.choices = [(0, "—")] + [
            (u.id, _l("%(name)s (tier %(tier)d)", name=u.full_name, tier=u.tier or 0)) for u in officers]
        self.tier.choices = [(0, "—")] + [(t.level, f"{t.level} · {t.name(language)}") for t in policy.tiers]
        self.refusals: list[Refusal] = []

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.action.data == BulkAction.ASSIGN and not self.to.errors and not self.to.data:
            self.to.errors = [_l("Choose the officer.")]
            valid = False
        if self.action.data == BulkAction.MOVE and not self.tier.errors and not self.tier.data:
            self.tier.errors = [_l("Choose the tier.")]
            valid = False
        return valid

    @property
    def selected(self) -> set[int]:
        """The ids ticked (those that are whole numbers), to tick them again."""
        return {i for value in (self.ids.raw_data or []) if isinstance(value, str)
                and (i := row_id(value)) is not None}
