"""The one blueprint of the JSON API at /api/v1 (registered with that prefix, CSRF-exempt)."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import PathConverter

bp = Blueprint("api", __name__)


class ComplaintNumberConverter(PathConverter):
    """A complaint's number in a URL, slashes allowed (`2026/000123`), like `path:`, but never
    ending in `/responses`: that URL is the responses resource (POST only), so an OPTIONS or a
    GET there must not also match the complaint (GET), or its `Allow` would name GET."""

    regex = r"[^/].*?(?<!/responses)"


@bp.record_once
def _register_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("number", ComplaintNumberConverter)
