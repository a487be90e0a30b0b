"""Webhook endpoints for administrators (/admin/webhooks): register a receiver, choose its
events, see its deliveries and send a failed one again. Thin: the rules are operations.py's."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select, text

from ..auth.access import requires
from ..auth.permissions import Permission
from ..database import commit_with_retry
from ..extensions import db
from ..notifications.models import DeliveryStatus
from ..text import row_id
from . import operations
from .forms import ActionForm, EndpointForm
from .models import UNDELIVERED, WebhookDelivery, WebhookEndpoint

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks", template_folder="templates")

#: Deliveries shown per page of an endpoint.
PAGE = 50
#: A delivery's state, for people.
STATUS_TITLES = {
    DeliveryStatus.QUEUED: _l("waiting"),
    DeliveryStatus.SENDING: _l("being sent"),
    DeliveryStatus.SENT: _l("delivered"),
    DeliveryStatus.FAILED: _l("failed"),
    DeliveryStatus.SKIPPED: _l("skipped"),
}

#: The page's count of each state not delivered.
COUNTED = {DeliveryStatus.QUEUED: "pending", DeliveryStatus.SENDING: "pending", DeliveryStatus.FAILED: "failed"}


def _own_urls() -> list[str]:
    """The registry's own addresses, which no webhook may point at."""
    return [current_app.config.get("PUBLIC_BASE_URL", ""), request.host_url]


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


def _counts() -> dict[int, dict[str, int]]:
    """Per endpoint, its deliveries waiting (or being sent) and failed: read from the index of
    the deliveries not delivered alone, however many were delivered."""
    rows = db.session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
        .where(text(UNDELIVERED)).group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for endpoint_id, status, count in rows:
        if status in COUNTED:
            counts.setdefault(endpoint_id, {"pending": 0, "failed": 0})[COUNTED[status]] += count
    return counts


@bp.route("", methods=["GET", "POST"])
@requires(Permission.CONFIGURE_REGISTRY)
def index() -> str | Response:
    """The endpoints, and the form that registers a new one."""
    form = EndpointForm()
    if request.method == "GET":
        form.events.data = [choice for choice, _title in form.events.choices]
    elif form.validate_on_submit():
        try:
            endpoint = commit_with_retry(lambda: operations.create_endpoint(
                url=form.url.data or "", description=form.label.data or "", events=form.events.data or [],
                by=current_user._get_current_object(), own_urls=_own_urls()))
        except operations.InvalidEndpoint as invalid:
            form.show_errors(invalid.errors)
        else:
            flash(_("The receiver is registered. Give it the secret below to check the signatures."))
            return redirect(url_for(".endpoint", endpoint_id=endpoint.id), code=303)
    endpoints = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    status = 400 if request.method == "POST" else 200
    return render_template("webhooks/index.html", endpoints=endpoints, counts=_counts(), form=form), status


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
@requires(Permission.CONFIGURE_REGISTRY)
def endpoint(endpoint_id: int) -> str | Response:
    """One endpoint: change it, its secret, and its deliveries, newest first."""
    endpoint = _endpoint(endpoint_id)
    form = EndpointForm()
    if request.method == "GET":
        form.url.data, form.label.data, form.active.data = endpoint.url, endpoint.description, endpoint.active
        form.events.data = sorted(event.value for event in endpoint.event_types)
    elif form.validate_on_submit():
        try:
            commit_with_retry(lambda: operations.update_endpoint(
                endpoint, url=form.url.data or "", description=form.label.data or "",
                events=form.events.data or [], active=bool(form.active.data),
                by=current_user._get_current_object(), own_urls=_own_urls()))
        except operations.InvalidEndpoint as invalid:
            db.session.rollback()
            form.show_errors(invalid.errors)
        else:
            flash(_("The receiver is saved."))
            return redirect(url_for(".endpoint", endpoint_id=endpoint_id), code=303)
    status_filter = request.args.get("status", "")
    before = row_id(request.args.get("before"))
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status_filter in {status.value for status in DeliveryStatus}:
        query = query.where(WebhookDelivery.status == DeliveryStatus(status_filter))
        if status_filter != DeliveryStatus.SENT:  # the few not delivered, newest first, by their own index
            query = query.where(text(UNDELIVERED))
    else:
        status_filter = ""
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    deliveries = db.session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(PAGE + 1)).all()
    more = len(deliveries) > PAGE
    status = 400 if request.method == "POST" else 200
    return render_template(
        "webhooks/endpoint.html", endpoint=_endpoint(endpoint_id), form=form, action=ActionForm(),
        deliveries=deliveries[:PAGE], more=more, status_filter=status_filter, statuses=STATUS_TITLES,
    ), status


@bp.post("/<int:endpoint_id>/secret")
@requires(Permission.CONFIGURE_REGISTRY)
def rotate_secret(endpoint_id: int) -> Response:
    endpoint = _endpoint(endpoint_id)
    if ActionForm().validate_on_submit():
        commit_with_retry(lambda: operations.rotate_secret(endpoint, by=current_user._get_current_object()))
        flash(_("A new secret signs the deliveries from now on: give it to the receiver."))
    return redirect(url_for(".endpoint", endpoint_id=endpoint_id), code=303)


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/retry")
@requires(Permission.CONFIGURE_REGISTRY)
def retry(endpoint_id: int, delivery_id: int) -> Response:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            commit_with_retry(lambda: operations.retry_delivery(delivery, by=current_user._get_current_object()))
        except operations.InvalidEndpoint:
            flash(_("Only a failed delivery can be sent again."), "error")
        else:
            flash(_("The delivery is queued again."))
    return redirect(url_for(".endpoint", endpoint_id=endpoint_id), code=303)
