"""The webhook endpoint form: it only carries what was typed; the rules are operations.py's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectMultipleField, StringField, widgets

from ..forms import AppForm
from .events import WebhookEvent


class EndpointForm(AppForm):
    url = StringField(_l("Receiver's address (https://...)"))
    label = StringField(_l("Description (optional)"))  # not "description": the stylesheet sizes #description
    events = SelectMultipleField(
        _l("Events"), choices=[], option_widget=widgets.CheckboxInput(),  # the template lays the boxes out
        validate_choice=False,  # operations.py names an unknown event itself
    )
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events.choices = [(event.value, event.title) for event in WebhookEvent]

    def show_errors(self, errors: Mapping[str, Sequence[Any]]) -> None:
        for name, messages in errors.items():
            field = getattr(self, name, None)
            if field is not None:
                field.errors = list(messages)


class ActionForm(AppForm):
    """A button that changes something (rotate the secret, send a delivery again): CSRF only."""
