"""The management pages' one blueprint, under /manage: the dashboard (dashboard.py), the
escalation desk (escalations.py) and the analysis (analysis.py)."""

from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage", template_folder="templates")
