"""The writes of a registration, on the path the intake benchmark measures.

A registration holds the number lock from the moment it takes its number until it commits,
and every other registration waits for it meanwhile; so what it writes skips the ORM's unit
of work (precompiled statements, `app.database.Precompiled`) and, on PostgreSQL, goes in two
round trips: `reserve` (the number and the place on the chain) and `append_intake_entry`
(the complaint, the rows that refer to it and its signed intake entry). Everything else
appends to the chain with `chain.append_entry`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from msgspec import Struct
from sqlalchemy import Table, bindparam, insert, literal, select, update

from ..clock import now_utc
from ..database import Precompiled, as_stored, insert_row, new_row
from ..extensions import db
from .chain import SET_HEAD_DIGEST, Private, advance_head, get_signer, private_row, sealed, set_head_digest
from .models import ChainHead, EntryKind, EntryPrivate, RegistryEntry
from .numbering import INCREMENT_COUNTER, take_number

if TYPE_CHECKING:
    from ..complaints.models import Complaint

_HEAD = ChainHead.__table__


class Reservation(Struct, frozen=True):
    """A number, and the place on the chain of the entry that will record it."""

    number: int
    position: int
    prev_digest: str


def _reserve_statement() -> Any:
    """PostgreSQL: a number and the head in one statement, the counter row locked first; each
    answer NULL when its row does not exist yet."""
    number = INCREMENT_COUNTER.cte("number")
    head = (
        update(_HEAD)
        .where(_HEAD.c.id == 1)
        .values(position=_HEAD.c.position + 1)
        .returning(_HEAD.c.position, _HEAD.c.digest)
        .cte("head")
    )
    return select(
        select(number.c.last_value).scalar_subquery(),
        select(head.c.position).scalar_subquery(),
        select(head.c.digest).scalar_subquery(),
    ).add_cte(number, head)


_RESERVE = Precompiled(_reserve_statement())


def reserve(scope: str) -> Reservation:
    """Take the next number of `scope` and the next place on the chain, both locked until the
    caller commits, in that order (as `take_number` then `append_entry` lock them): what a
    registration holds before it seals its intake entry. One round trip on PostgreSQL."""
    if db.session.get_bind().dialect.name != "postgresql":
        return Reservation(take_number(scope), *advance_head(1))
    number, position, prev_digest = _RESERVE.rows({"scope": scope, "n": 1})[0]
    if number is None:  # the first number of a new scope (the head moved all the same)
        number = take_number(scope)
    if position is None:  # the very first entry of this registry
        position, prev_digest = advance_head(1)
    return Reservation(number, position, prev_digest)


def append_intake_entry(
    complaint: Complaint, place: Reservation, rows: Sequence[tuple[Table, dict[str, Any]]] = (),
    *, registration: dict[str, Any] | None = None,
) -> str:
    """Store a new complaint, numbered from `place`, with `rows` of other tables that refer to
    it (its queued e-mail; their `complaint_id` is filled in), and append its signed intake
    entry at the place reserved for it, with the entry's private part; answers the entry's
    digest (no RegistryEntry object is made for it: the row is written as it is). `registration`
    (how it was signed, who registered it) is signed in the payload beside the complaint's own
    values.

    The writes of a registration, made while other registrations wait for the number lock, so
    they skip the ORM's unit of work: on PostgreSQL one statement (data-modifying CTEs sharing
    the complaint's new id), elsewhere one precompiled INSERT per row. Afterwards the complaint
    is in the session as if loaded, and new objects in its relationships (its attachments) are
    written by the next flush.
    """
    private = Private(complaint.personal_salt, complaint.private_record())
    payload = complaint.registry_payload() | ({"registration": registration} if registration else {})
    entry = sealed(
        EntryKind.INTAKE, payload, None, place.position, place.prev_digest, now_utc(), get_signer(), private,
    )
    values = new_row(complaint)
    related = [*rows, (RegistryEntry.__table__, entry),
               (EntryPrivate.__table__, private_row(place.position, None, private))]
    table = type(complaint).__table__
    if db.session.get_bind().dialect.name == "postgresql":
        complaint_id = _stored_together(table, values, related, head_digest=entry["digest"])
    else:
        (complaint_id,) = insert_row(table, values)
        for other, row in related:
            insert_row(other, {**row, "complaint_id": complaint_id})
        set_head_digest(entry["digest"])
    as_stored(complaint, (complaint_id,))
    return entry["digest"]


#: The statement of `_stored_together`, per shape (the complaint's columns, each row's table and columns).
_TOGETHER: dict[tuple, Precompiled] = {}


def _stored_together(
    table: Table, values: dict[str, Any], related: list[tuple[Table, dict[str, Any]]], *, head_digest: str
) -> int:
    """PostgreSQL: INSERT a complaint and the rows that refer to it, and set the chain head's
    digest, in one statement; answers the complaint's id."""
    shape = (table.name, tuple(values), *((other.name, tuple(row)) for other, row in related))
    statement = _TOGETHER.get(shape)
    if statement is None:
        new = insert(table).values(_bound(table, "c", tuple(values))).returning(table.c.id).cte("new_complaint")
        new_id = select(new.c.id).scalar_subquery()
        inserts = [
            insert(other).values(_bound(other, f"r{i}", tuple(row), complaint_id=new_id)).cte(f"new_row_{i}")
            for i, (other, row) in enumerate(related)
        ]
        statement = _TOGETHER.setdefault(
            shape, Precompiled(select(new.c.id).add_cte(*inserts, SET_HEAD_DIGEST.cte("head")))
        )
    params = {f"c_{name}": value for name, value in values.items()} | {"new_digest": head_digest}
    for i, (_, row) in enumerate(related):
        params |= {f"r{i}_{name}": value for name, value in row.items() if name != "complaint_id"}
    return statement.rows(params)[0][0]


def _bound(table: Table, prefix: str, names: tuple[str, ...], complaint_id: Any = None) -> dict[str, Any]:
    """The VALUES of one row inside a CTE: a parameter `{prefix}_{name}` per column named,
    `complaint_id` (an expression) when given, and every other column's Python-side default,
    which SQLAlchemy adds to a top-level INSERT only, never to one inside a CTE."""
    values: dict[str, Any] = {
        name: bindparam(f"{prefix}_{name}", type_=table.c[name].type) for name in names if name != "complaint_id"
    }
    if complaint_id is not None:
        values["complaint_id"] = complaint_id
    for column in table.columns:
        if column.key not in values and column.default is not None:
            if not column.default.is_scalar:
                raise ValueError(f"{column} has a default that is not a plain value")
            values[column.key] = literal(column.default.arg, column.type)
    return values
