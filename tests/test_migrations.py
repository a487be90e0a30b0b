"""The schema comes from the migrations, and the migrations match the models."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, text

from app.extensions import db
from app.journal.search import SEARCH_TABLE
from app.manage.models import CONTACT_TOTALS_INDEX, POSTGRESQL_ONLY_INDEXES
from app.migrations import MIGRATIONS_DIR

#: Expression indexes PostgreSQL gives back in its own words (casts, parentheses), which
#: autogenerate then reads as different: checked by name here, and by use in
#: tests/test_queue_index.py (a planner that uses it for the queue's statements matched them).
REWORDED_BY_POSTGRESQL = ("ix_complaints_queue",)


def _compared(item, name, type_, reflected, compare_to) -> bool:
    if type_ == "table" and name.startswith(SEARCH_TABLE):  # SQLite's FTS5 index and its shadow tables
        return False
    return not (type_ == "index" and name in (*POSTGRESQL_ONLY_INDEXES, *REWORDED_BY_POSTGRESQL, CONTACT_TOTALS_INDEX))


def _expression_indexes() -> dict[str, str]:
    """The models' indexes on an expression (lower(email)), by name, with their table."""
    return {
        index.name: table.name
        for table in db.metadata.tables.values()
        for index in table.indexes
        if not all(isinstance(expression, Column) for expression in index.expressions)
    }


def test_the_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": _compared})
        if connection.dialect.name != "sqlite":
            assert compare_metadata(context, db.metadata) == []
            migrated = dict(connection.execute(text("SELECT indexname, tablename FROM pg_indexes")).all())
            assert {name: migrated.get(name) for name in REWORDED_BY_POSTGRESQL} == {"ix_complaints_queue": "complaints"}
            return
        # SQLite's reflection skips expression indexes (with a warning each), so the comparison
        # cannot see them: they are checked by name below.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
            assert compare_metadata(context, db.metadata) == []
        migrated = dict(connection.execute(text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'")).all())
    expected = _expression_indexes()
    assert expected
    assert {name: migrated.get(name) for name in expected} == expected


def test_flask_db_loads_flask_migrate_and_runs_its_commands(make_app):
    app = make_app()
    assert "flask_migrate" not in type(app.extensions["migrate"]).__module__  # the stand-in until used

    result = app.test_cli_runner().invoke(args=["db", "heads"])

    assert result.exit_code == 0, result.output  # (Alembic prints the head to sys.stdout itself)
    assert type(app.extensions["migrate"]).__module__ == "flask_migrate"
    assert app.cli.commands["db"].callback.__module__ == "flask_migrate.cli"


def test_flask_db_help_is_flask_migrates(make_app):
    result = make_app().test_cli_runner().invoke(args=["db", "--help"])

    assert result.exit_code == 0, result.output
    assert "--directory" in result.output and "upgrade" in result.output


def test_the_migrate_extension_answers_for_flask_migrate_before_it_was_loaded(make_app):
    app = make_app()

    assert app.extensions["migrate"].directory == str(MIGRATIONS_DIR)
    assert app.extensions["migrate"].db is db
    assert type(app.extensions["migrate"]).__module__ == "flask_migrate"
