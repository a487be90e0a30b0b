"""The one blueprint of the JSON API at /api/v1 (registered with that prefix, CSRF-exempt)."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import PathConverter

bp = Blueprint("api", __name__)

#: The last parts of a complaint's sub-resources (`.../responses`, `.../take`, ...): staff.py adds
#: the workflow actions' before the blueprint is registered.
SUB_RESOURCES: list[str] = ["responses"]


class ComplaintNumberConverter(PathConverter):
    """A complaint's number in a URL, slashes allowed (`2026/000123`), like `path:`, but never
    ending in a sub-resource's name (`/responses`, `/take`, ...): that URL is the sub-resource
    (POST only), so an OPTIONS or a GET there must not also match the complaint (GET), or its
    `Allow` would name GET."""

    regex = r"[^/].*?(?<!/responses)"


@bp.record_once
def _register_converter(state: BlueprintSetupState) -> None:
    lookbehinds = "".join(f"(?<!/{name})" for name in SUB_RESOURCES)
    converter = type("ComplaintNumberConverter", (ComplaintNumberConverter,), {"regex": r"[^/].*?" + lookbehinds})
    state.app.url_map.converters.setdefault("number", converter)
