"""The real app plus one benchmark-only route, for `gunicorn benchmarks.bench_wsgi:app`.

`POST /_bench/bare` is the floor of a registration: the same numbering transaction as intake
(inside `commit_with_retry`: `take_number`, insert one row about the size of a complaint,
commit) with no validation, no complaint model, no hash chain and no signature. Comparing
its rate with `POST /api/v1/complaints` under the same server and load shows what the rest
of intake costs. The route lives here, never in the production app; settings come from the
environment exactly as in `wsgi.py`.
"""

from __future__ import annotations

from flask import Response, jsonify, request
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, insert, inspect
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.clock import now_utc
from app.database import UTCDateTime, commit_with_retry
from app.extensions import csrf, db
from app.registry.numbering import registry_year, take_number

#: Kept apart from the app's metadata, so migrations and schema checks never see it.
bench_metadata = MetaData()
bench_rows = Table(
    "bench_rows",
    bench_metadata,
    Column("id", Integer, primary_key=True),
    Column("scope", String(32), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("payload", Text, nullable=False),
)


def create_bench_table() -> None:
    """Create `bench_rows` unless it exists; several workers may start at the same moment."""
    try:
        bench_metadata.create_all(db.engine, checkfirst=True)
    except DBAPIError:
        # PostgreSQL: a worker starting at the same moment created it between check and CREATE.
        if not inspect(db.engine).has_table(bench_rows.name):
            raise


def bare_registration() -> tuple[Response, int]:
    """Take a number and store the raw request body beside it: nothing else."""
    payload = request.get_data(as_text=True)

    def work() -> int:
        moment = now_utc()
        scope = f"bench:{registry_year(moment, app.config['REGISTRY_TIMEZONE'])}"
        seq = take_number(scope)
        db.session.execute(
            insert(bench_rows).values(scope=scope, seq=seq, created_at=moment, payload=payload)
        )
        return seq

    return jsonify(number=commit_with_retry(work)), 201


app = create_app()
app.add_url_rule("/_bench/bare", "bench_bare", bare_registration, methods=["POST"])
csrf.exempt(bare_registration)  # a JSON endpoint, like the API
with app.app_context():
    create_bench_table()
