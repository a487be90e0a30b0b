"""A bare Flask app, the floor `benchmarks/startup.py` measures the registry against:
plain Flask and SQLAlchemy Core, no extensions, nothing of this project imported.

`gunicorn -c gunicorn.conf.py --pythonpath benchmarks bare_flask:app` serves it under the
registry's own gunicorn settings, on the same database (DATABASE_URL):

  GET /health   SELECT 1, answered as JSON (the registry's /health does the same and more)
  GET /page     an HTML page from a Jinja template, with a small table read from the database
"""

from __future__ import annotations

import os

from flask import Flask, jsonify
from sqlalchemy import create_engine, text

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1>
<table>{% for row in rows %}<tr><td>{{ row.name }}</td><td>{{ row.type }}</td></tr>{% endfor %}</table>
</body></html>"""

app = Flask(__name__)
page_template = app.jinja_env.from_string(PAGE)  # compiled once, as Flask's file templates are
engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)


@app.get("/health")
def health():  # noqa: ANN201
    with engine.connect() as connection:
        connection.execute(text("SELECT 1")).scalar_one()
    return jsonify(status="ok", database="ok")


@app.get("/page")
def page():  # noqa: ANN201
    query = ("SELECT name, type FROM sqlite_master ORDER BY name LIMIT 10" if engine.dialect.name == "sqlite"
             else "SELECT table_name AS name, table_type AS type FROM information_schema.tables "
                  "ORDER BY table_name LIMIT 10")
    with engine.connect() as connection:
        rows = connection.execute(text(query)).all()
    return page_template.render(title="Tables", rows=rows)
