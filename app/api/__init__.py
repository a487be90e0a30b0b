"""The JSON API at /api/v1, one blueprint: the public intake (app/intake/api.py), the staff
integrations' endpoints (staff.py, behind personal API tokens: auth.py) and the OpenAPI
document that is its contract (openapi.py)."""

from ..intake.api import bp
from . import openapi, staff  # noqa: F401  (their routes are on bp)

__all__ = ["bp"]
