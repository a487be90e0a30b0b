"""The one error a refused change to a complaint raises; routes show its message as it is."""

from __future__ import annotations


class ComplaintChangeRefused(ValueError):
    """The change is not allowed; the message says why, for the person who asked."""


class ComplaintChangeForbidden(ComplaintChangeRefused):
    """Refused because of who asks (not the owner), not because of the complaint or the text:
    the API answers it with 403, other refusals with 409."""
