"""The schema comes from the migrations, and the migrations match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db
from app.manage.models import POSTGRESQL_ONLY_INDEXES


def _compared(item, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)


def test_the_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": _compared})
        assert compare_metadata(context, db.metadata) == []
