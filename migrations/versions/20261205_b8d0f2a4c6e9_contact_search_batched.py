"""SQLite: the contact search's trigram index takes new complaints in batches.

`complaint_search` (migration `contact_search_sqlite`) took each new complaint in the
complaint's own transaction. FTS5 writes a new segment at the end of every transaction that
changes it, and on SQLite every transaction that writes holds the one write lock: that segment
was about a quarter of SQLite's work for a registration's INSERT (docs/performance.md, "Pages
at scale on a fast machine, and the SQLite write queue from BEGIN").

Now the index holds exactly the complaints up to `complaint_search_state.indexed_through`
(their current names, e-mail addresses and phones). A new complaint is taken in by the
registration that brings the complaints past that mark by BATCH: one segment for the
BATCH complaints since the last. A search asks the index for the complaints up to the mark
and reads the few after it (fewer than BATCH) as they are (app/complaints/search.py), so it
finds exactly what it found before. A change of name, e-mail or phone is written into the
index at once when the complaint is in it, and taken in with its batch otherwise; a removal
(the tests' only) takes the complaint out and moves the mark down to the last complaint left,
so a number given again later is a new complaint after the mark.

PostgreSQL, or an SQLite without the index: nothing.

Revision ID: b8d0f2a4c6e9
Revises: a7c9e1b3d5f7
Create Date: 2026-12-05 14:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8d0f2a4c6e9'
down_revision = 'a7c9e1b3d5f7'
branch_labels = None
depends_on = None

#: New complaints taken into the index together (the most a search reads beside it, less one).
BATCH = 64
COLUMNS = "full_name, email, phone"
OLD = "old.full_name, old.email, old.phone"
NEW = "new.full_name, new.email, new.phone"
MARK = "(SELECT indexed_through FROM complaint_search_state)"


def _has_index(bind) -> bool:
    return bind.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'complaint_search'").first() is not None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite' or not _has_index(bind):
        return
    op.execute("CREATE TABLE complaint_search_state (id INTEGER PRIMARY KEY CHECK (id = 1), "
               "indexed_through INTEGER NOT NULL)")
    # The index holds every complaint so far (its insert trigger took each one).
    op.execute("INSERT INTO complaint_search_state (id, indexed_through) "
               "SELECT 1, coalesce(max(id), 0) FROM complaints")
    for trigger in ('insert', 'delete', 'update'):
        op.execute(f"DROP TRIGGER complaint_search_{trigger}")
    op.execute(f"""CREATE TRIGGER complaint_search_batch AFTER INSERT ON complaints
        WHEN new.id >= {MARK} + {BATCH} BEGIN
        INSERT INTO complaint_search(rowid, {COLUMNS})
            SELECT id, {COLUMNS} FROM complaints WHERE id > {MARK} AND id <= new.id ORDER BY id;
        UPDATE complaint_search_state SET indexed_through = new.id;
    END""")
    op.execute(f"""CREATE TRIGGER complaint_search_update AFTER UPDATE OF {COLUMNS} ON complaints
        WHEN old.id <= {MARK} BEGIN
        INSERT INTO complaint_search(complaint_search, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD});
        INSERT INTO complaint_search(rowid, {COLUMNS}) VALUES (new.id, {NEW});
    END""")
    op.execute(f"""CREATE TRIGGER complaint_search_delete AFTER DELETE ON complaints BEGIN
        INSERT INTO complaint_search(complaint_search, rowid, {COLUMNS})
            SELECT 'delete', old.id, {OLD} WHERE old.id <= {MARK};
        UPDATE complaint_search_state
            SET indexed_through = min(indexed_through, coalesce((SELECT max(id) FROM complaints), 0));
    END""")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite' or not _has_index(bind):
        return
    for trigger in ('batch', 'delete', 'update'):
        op.execute(f"DROP TRIGGER complaint_search_{trigger}")
    op.execute(f"INSERT INTO complaint_search(rowid, {COLUMNS}) SELECT id, {COLUMNS} FROM complaints "
               f"WHERE id > {MARK} ORDER BY id")
    op.execute("DROP TABLE complaint_search_state")
    op.execute(f"""CREATE TRIGGER complaint_search_insert AFTER INSERT ON complaints BEGIN
        INSERT INTO complaint_search(rowid, {COLUMNS}) VALUES (new.id, {NEW});
    END""")
    op.execute(f"""CREATE TRIGGER complaint_search_delete AFTER DELETE ON complaints BEGIN
        INSERT INTO complaint_search(complaint_search, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD});
    END""")
    op.execute(f"""CREATE TRIGGER complaint_search_update AFTER UPDATE OF {COLUMNS} ON complaints BEGIN
        INSERT INTO complaint_search(complaint_search, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD});
        INSERT INTO complaint_search(rowid, {COLUMNS}) VALUES (new.id, {NEW});
    END""")
