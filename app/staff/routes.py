"""Staff pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..auth.access import requires
from ..auth.permissions import Permission

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")


@bp.get("/")
@requires(Permission.USE_STAFF_DESK)
def home() -> str:
    return render_template("staff/home.html")
