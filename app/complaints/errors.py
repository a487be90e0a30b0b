"""The one error a refused change to a complaint raises; routes show its message as it is."""

from __future__ import annotations


class ComplaintChangeRefused(ValueError):
    """The change is not allowed; the message says why, for the person who asked."""
