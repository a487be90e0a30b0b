"""The one blueprint of the JSON API at /api/v1 (registered with that prefix, CSRF-exempt)."""

from flask import Blueprint

bp = Blueprint("api", __name__)
