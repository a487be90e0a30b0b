"""The JSON API at /api/v1, one blueprint: the public intake (intake.py), the staff
integrations' endpoints (staff.py, behind personal API tokens: auth.py) and the OpenAPI
document that is its contract (openapi.py)."""

from . import intake, openapi, staff  # noqa: F401  (their routes are on bp)
from .blueprint import bp

__all__ = ["bp"]
