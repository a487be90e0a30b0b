"""The queue's filter form: read from the query string (a GET search, no CSRF token) and shown
again with what was chosen. Whose complaints it shows defaults to the user's own and their
tier's (a complaint transferred to them rose to their tier; one that rose past them, or that
they took below their tier, is still theirs), or to every open complaint for someone who works
at no tier."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import Optional

from ..forms import AppForm
from ..settings.tiers import TierPolicy
from .queries import DueFilter, QueueFilter, Scope


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
