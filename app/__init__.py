"""The application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from config import Config, config_from_env

from . import models  # noqa: F401  (every table registered on the metadata)
from .extensions import babel, csrf, db, login_manager
from .serving.headers import add_security_headers
from .serving.routing import LazyBuilderRule


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the app for `config_class` (by default the one APP_ENV names)."""
    config_class = config_class or config_from_env()
    config_class.validate()
    app = Flask(__name__, instance_path=config_class.INSTANCE_PATH)
    app.url_rule_class = LazyBuilderRule  # URL builders made on first use (0.1 s of start-up)
    app.config.from_object(config_class)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    register_serving(app)
    register_input_guard(app)
    register_extensions(app)
    register_registry(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_response_headers(app)
    register_template_context(app)
    return app


def register_serving(app: Flask) -> None:
    """Proxy headers, logs on stderr, the 503 answer while the database is unreachable."""
    from . import serving

    serving.init_app(app)


def register_input_guard(app: Flask) -> None:
    """Refuse control characters, lone surrogates and bad JSON in every request with a 400
    (before CSRF, the rate limits and any view), and log unhandled exceptions without values."""
    from . import input_guard

    input_guard.init_app(app)


def register_extensions(app: Flask) -> None:
    from . import i18n, migrations, ratelimits
    from .database import configure_pool, configure_sqlite, engine_options
    from .mail import delivery as mail_delivery

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    db.init_app(app)
    migrations.init_app(app)  # Flask-Migrate and Alembic load when a migration runs
    csrf.init_app(app)
    login_manager.init_app(app)
    ratelimits.init_app(app)  # the limiter, without request hooks it has no use for
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["REGISTRY_TIMEZONE"])
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    mail_delivery.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["DATABASE_BUSY_TIMEOUT"])
        configure_pool(db.engine, app.config["DATABASE_POOL_CHECK"])


def register_registry(app: Flask) -> None:
    """Load the registry's signing key once per process (created on first run in development)."""
    from .registry.signing import load_signer

    app.extensions["registry_signer"] = load_signer(
        Path(app.config["REGISTRY_KEY_PATH"]), autocreate=app.config["REGISTRY_KEY_AUTOCREATE"]
    )
    register_document_signer(app)


def register_document_signer(app: Flask) -> None:
    """Load the key and certificate that sign receipts and letters as PDFs (in development
    created on first run, the certificate self-signed in the organisation's name)."""
    from .documents.signature import load_document_signer
    from .documents.template import load_organisation

    app.extensions["document_signer"] = load_document_signer(
        Path(app.config["DOCUMENT_SIGNING_KEY_PATH"]),
        Path(app.config["DOCUMENT_CERTIFICATE_PATH"]),
        autocreate=app.config["DOCUMENT_SIGNING_AUTOCREATE"],
        organisation_name=load_organisation(Path(app.config["PDF_TEMPLATES_DIR"])).name,
    )


def register_blueprints(app: Flask) -> None:
    """One blueprint per package (named after it), and the `flask` command groups."""
    from .admin.routes import bp as admin_bp
    from .answers.routes import bp as answers_bp  # the managers' answer templates
    from .api import bp as api_bp  # the intake API, staff integrations and the OpenAPI document
    from .audit.routes import bp as audit_bp
    from .auth.cli import cli as users_cli
    from .auth.routes import bp as auth_bp  # with the API token pages nested in it
    from .desk.routes import bp as desk_bp
    from .health import bp as health_bp
    from .intake.routes import bp as intake_bp
    from .journal.routes import bp as journal_bp
    from .mail.cli import cli as mail_cli
    from .mail.compose import bp as mail_bp  # the mail templates
    from .mailin.cli import cli as mailin_cli
    from .mailin.routes import bp as mailin_bp  # the clerks' tray of received e-mail
    from .mailin.routes import init_app as init_mail_intake
    from .manage import analysis, dashboard, escalations, returns_page  # noqa: F401  (their routes are on manage_bp)
    from .manage.blueprint import bp as manage_bp
    from .manage.cli import cli as figures_cli
    from .queue.routes import bp as queue_bp
    from .receipts.routes import bp as receipts_bp
    from .registry.cli import cli as registry_cli
    from .registry.routes import bp as registry_bp
    from .reports.cli import cli as reports_cli
    from .reports.routes import bp as reports_bp
    from .staff.routes import bp as staff_bp
    from .webhooks.cli import cli as webhooks_cli
    from .webhooks.routes import bp as webhooks_bp
    from .workflow.cli import cli as deadlines_cli

    for blueprint in (intake_bp, health_bp, receipts_bp, registry_bp, auth_bp, staff_bp, audit_bp,
                      journal_bp, manage_bp, queue_bp, desk_bp, mail_bp, mailin_bp, reports_bp, admin_bp,
                      webhooks_bp, answers_bp):
        app.register_blueprint(blueprint)
    init_mail_intake(app)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)  # JSON for integrations: no cookies, so no cross-site forgery
    for group in (registry_cli, users_cli, deadlines_cli, mail_cli, mailin_cli, reports_cli, figures_cli,
                  webhooks_cli):
        app.cli.add_command(group)


def register_error_handlers(app: Flask) -> None:
    from flask_limiter.errors import RateLimitExceeded

    from .ratelimits import too_many_requests
    from .registry.issued import StoredDocumentDamaged, stored_document_damaged

    app.register_error_handler(RateLimitExceeded, too_many_requests)
    app.register_error_handler(StoredDocumentDamaged, stored_document_damaged)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return render_template("error.html", error=error, csrf=True), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[object, int, list] | HTTPException:
        if error.code is None or error.code < 400:
            return error
        # The error's own headers (a 405's Allow, ...) go with the page; its content type does not.
        headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
        if request.path.startswith("/api/"):
            return jsonify(error=error.name, message=error.description), error.code, headers
        return render_template("error.html", error=error), error.code, headers


def register_response_headers(app: Flask) -> None:
    app.after_request(add_security_headers)


def register_template_context(app: Flask) -> None:
    """Values every page shows: the organisation (as administrators keep it, app/settings), and
    whether the registry holds demo data."""
    from flask import has_request_context
    from flask_babel import get_locale

    from .auth.permissions import Permission
    from .languages import LANGUAGES
    from .registry.demo import holds_demo_data, suggest_demo_data
    from .settings.store import current_settings
    from .urls import is_staff_path

    @app.context_processor
    def _globals() -> dict:
        settings = current_settings()
        return {
            "organisation": settings.organisation,
            "first_response_hours": settings.first_response_hours,
            "current_locale": str(get_locale()),
            "Permission": Permission,
            "LANGUAGES": LANGUAGES,
            # Asked by the page only where it shows them: the ribbon, the empty registry's notice.
            "demo_registry": holds_demo_data,
            "suggest_demo_data": suggest_demo_data,
            # Which frame an error page wears: the staff's (with their menu) or the public one.
            "staff_area": has_request_context() and is_staff_path(request.path),
        }
