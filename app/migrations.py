"""Flask-Migrate, loaded when a migration runs rather than by every process that serves pages.

Flask-Migrate imports Alembic, Mako and Pygments: about 140 modules and 0.1 s of CPU, a tenth
of a worker's start-up, for `flask db` and the test fixtures only. So `init_app` binds two
stand-ins that load it on first use: the `flask db` command group (listed by `flask --help`;
`flask db ...` loads Flask-Migrate and runs its own group) and `app.extensions["migrate"]`,
which `flask_migrate.upgrade()` and `migrations/env.py` read.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

import click
from flask import Flask

from .extensions import db

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def revision_module(revision: str) -> Any:
    """The migration `revision` (migrations/versions/*_<revision>_*.py), loaded afresh as a
    module: for a later migration that builds on its builders (the outcome rollups' trigger
    builders serve the ratings' and the template uses' migrations)."""
    path = next((MIGRATIONS_DIR / "versions").glob(f"*_{revision}_*.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the migration {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def init_app(app: Flask) -> None:
    app.extensions["migrate"] = _MigrateOnFirstUse(app)
    app.cli.add_command(_MigrationCommands(app))


def load(app: Flask) -> Any:
    """Flask-Migrate bound to `app` (its configuration object, as `app.extensions["migrate"]`
    holds it); the real `flask db` group replaces the stand-in in `app.cli`."""
    current = app.extensions.get("migrate")
    if current is not None and not isinstance(current, _MigrateOnFirstUse):
        return current
    # Alembic announces each of its plugins at INFO while it is imported; before the app's log
    # was set up nobody saw that, and nobody needs to now.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from flask_migrate import Migrate

    Migrate(render_as_batch=True, compare_type=True).init_app(app, db, directory=str(MIGRATIONS_DIR))
    return app.extensions["migrate"]


class _MigrateOnFirstUse:
    """`app.extensions["migrate"]` until something reads an attribute of it: then Flask-Migrate is
    loaded, takes its place, and answers."""

    def __init__(self, app: Flask) -> None:
        self._app = app

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and the like probe for these: nothing to load
            raise AttributeError(name)
        return getattr(load(self._app), name)


class _MigrationCommands(click.Group):
    """`flask db`: the context, and so the options, help and subcommands, are Flask-Migrate's own
    group's, made once it is loaded."""

    def __init__(self, app: Flask) -> None:
        super().__init__("db", help="Perform database migrations.")
        self._app = app

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        load(self._app)
        return self._app.cli.commands["db"].make_context(info_name, args, parent=parent, **extra)
