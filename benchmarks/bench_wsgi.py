"""The real app plus one benchmark-only route, for `gunicorn benchmarks.bench_wsgi:app`.

`POST /_bench/bare` is the floor of a registration: the same numbering transaction as intake
(inside `commit_with_retry`: `take_number`, insert one complaint-shaped row made from the
request's fields, commit) with no validation, no complaint model, no hash chain, no signature,
no queued e-mail and no answer beyond the number. Its rows go into `bench_complaints`, a copy
of the `complaints` table with the same columns, unique constraints and secondary indexes
(the journal's trigram indexes included) but without foreign keys and checks: the database
work that storing a complaint costs whatever the application does. Comparing its rate with
`POST /api/v1/complaints` under the same server and load shows what the rest of intake
(validation, signing, chaining, the e-mail, the answer) costs.

`BENCH_BARE_TABLE=plain` keeps the earlier baseline instead: a narrow table without secondary
indexes (`id, scope, seq, created_at, payload`), holding the raw body.

Running inside the app, the route pays the app's request frame (hooks, rate-limit check,
logging) too; benchmarks/bare_flask_app.py is the independent bare endpoint (intake_peers.py).

The route lives here, never in the production app; settings come from the environment exactly
as in `wsgi.py`.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime

from flask import Response, jsonify, request
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    inspect,
)
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.clock import now_utc
from app.clocks.policy import Period, Unit
from app.complaints.models import Channel, Complaint, ComplaintStatus
from app.database import UTCDateTime, commit_with_retry
from app.extensions import csrf, db
from app.registry.numbering import format_number, number_slug, registry_year, take_number
from app.settings.store import current_policy, current_settings
from app.workflow.deadlines import registration_clock

#: `BENCH_BARE_TABLE=plain`: the narrow index-less baseline instead of the complaints copy.
PLAIN = os.environ.get("BENCH_BARE_TABLE", "complaints") == "plain"

#: Kept apart from the app's metadata, so migrations and schema checks never see them.
bench_metadata = MetaData()
plain_rows = Table(
    "bench_rows",
    bench_metadata,
    Column("id", Integer, primary_key=True),
    Column("scope", String(32), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("payload", Text, nullable=False),
)


def mirror_table(source: Table, name: str) -> Table:
    """`source`'s columns, unique constraints and indexes (with their per-dialect options) under
    another name; no foreign keys and no checks, which the bare rows would not satisfy."""
    mirror = Table(
        name,
        bench_metadata,
        *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable) for c in source.columns),
    )
    for constraint in source.constraints:
        if isinstance(constraint, UniqueConstraint):
            mirror.append_constraint(UniqueConstraint(*(mirror.c[c.name] for c in constraint.columns)))
    for index in source.indexes:
        Index(
            f"{name}_{index.name}",
            *(mirror.c[c.name] for c in index.columns),
            unique=index.unique,
            **index.dialect_kwargs,
        )
    return mirror


complaint_rows = mirror_table(Complaint.__table__, "bench_complaints")


def create_bench_tables() -> None:
    """Create the bench tables unless they exist; several workers may start at the same moment."""
    for attempt in range(10):
        try:
            bench_metadata.create_all(db.engine, checkfirst=True)
            return
        except DBAPIError:
            # A worker starting at the same moment created one of them between check and CREATE,
            # or (SQLite) holds the write lock while it does; the next round, a moment later,
            # skips what exists and creates the rest.
            if attempt == 9 and not all(inspect(db.engine).has_table(t.name) for t in bench_metadata.sorted_tables):
                raise
            time.sleep(0.1 * (attempt + 1))


def _complaint_row(fields: dict, year: int, seq: int, moment: datetime) -> dict:
    """The row a registration stores, from the request's fields as they came (no validation)."""
    number = format_number(year, seq, "B{year}/{seq:06d}")
    return {
        "year": year, "seq": seq, "number": number, "slug": number_slug(number),
        "access_code": "0" * 22, "personal_salt": "0" * 32, "status": ComplaintStatus.REGISTERED, "channel": Channel.WEB,
        "registered_at": moment, "received_at": moment,
        "full_name": fields.get("full_name"), "email": fields.get("email"), "phone": fields.get("phone"),
        "postal_address": fields.get("postal_address"), "category": fields.get("category"),
        "subject": fields.get("subject"), "description": fields.get("description"),
        "desired_outcome": fields.get("desired_outcome"), "language": fields.get("language"),
        "signature_name": fields.get("signature"), "declaration_confirmed": bool(fields.get("declaration")),
        "tier": 1, "transfer_count": 0, "contact_count": 1,
        **registration_clock(moment, moment, current_policy(), Period(current_settings().first_response_hours, Unit.HOURS),
                             current_settings().calendar),
    }


def bare_registration() -> tuple[Response, int]:
    """Take a number and store one row made from the request beside it: nothing else."""
    body = request.get_data(as_text=True)
    fields = None if PLAIN else json.loads(body)

    def work() -> int:
        moment = now_utc()
        year = registry_year(moment, app.config["REGISTRY_TIMEZONE"])
        scope = f"bench:{year}"
        seq = take_number(scope)
        if fields is None:
            row = insert(plain_rows).values(scope=scope, seq=seq, created_at=moment, payload=body)
        else:
            row = insert(complaint_rows).values(_complaint_row(fields, year, seq, moment))
        db.session.execute(row)
        return seq

    return jsonify(number=commit_with_retry(work)), 201


app = create_app()
app.add_url_rule("/_bench/bare", "bench_bare", bare_registration, methods=["POST"])
csrf.exempt(bare_registration)  # a JSON endpoint, like the API
with app.app_context():
    create_bench_tables()
