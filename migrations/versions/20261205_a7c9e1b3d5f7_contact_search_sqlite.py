"""SQLite: a trigram index over the complaints' names, e-mail addresses and phone numbers.

The journal's name, e-mail and phone searches are "contains" searches (`LIKE '%…%'`). On
PostgreSQL the GIN trigram indexes of `journal_indexes` serve them; SQLite has no index for
them, so a search that matches few complaints read every complaint in number order, and took
longer the larger the registry. SQLite's FTS5 `trigram` tokenizer (SQLite 3.34 or newer) serves
`LIKE '%…%'` from an index: `complaint_search` is an external-content FTS5 table over the three
columns (their text is not copied; the index points at the complaint's rowid), kept by triggers
in the complaint's own transaction. app/complaints/search.py asks it for the candidates and the
journal's own conditions still decide.

Its automatic merging is off (`automerge = 0`): with it on, FTS5 merged segments in every
registration's transaction, ≈ 0.4 ms of CPU each on SQLite; off, each transaction adds a small
segment and FTS5's crisis merge folds 16 of a level into one (docs/performance.md, "XLSX by
XlsxWriter, SQLite's contact searches from a trigram index, ...": +0.06–0.08 ms a registration).

PostgreSQL: nothing (its trigram indexes already serve these searches). An SQLite without FTS5 or
older than 3.34 (no `trigram` tokenizer) gets no index either: the migration says so, and the
searches read the complaints in number order as before.

Revision ID: a7c9e1b3d5f7
Revises: f4a6c8e0b2d5
Create Date: 2026-12-05 07:00:00.000000

"""
import logging

from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c9e1b3d5f7'
down_revision = 'f4a6c8e0b2d5'
branch_labels = None
depends_on = None

COLUMNS = "full_name, email, phone"
OLD = "old.full_name, old.email, old.phone"
NEW = "new.full_name, new.email, new.phone"


def _trigram_available(bind) -> bool:
    """FTS5 with its `trigram` tokenizer: SQLite 3.34 or newer, built with FTS5."""
    version = tuple(int(part) for part in bind.exec_driver_sql("SELECT sqlite_version()").scalar().split("."))
    options = {row[0] for row in bind.exec_driver_sql("PRAGMA compile_options")}
    return version >= (3, 34) and "ENABLE_FTS5" in options


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    if not _trigram_available(bind):
        logging.getLogger("alembic.runtime.migration").warning(
            "This SQLite has no FTS5 trigram tokenizer (3.34 or newer, built with FTS5): the journal's name, "
            "e-mail and phone searches read the complaints in number order, without an index.")
        return
    op.execute(f"CREATE VIRTUAL TABLE complaint_search USING fts5({COLUMNS}, content='complaints', "
               "content_rowid='id', tokenize='trigram')")
    op.execute("INSERT INTO complaint_search(complaint_search, rank) VALUES ('automerge', 0)")
    op.execute("INSERT INTO complaint_search(complaint_search) VALUES ('rebuild')")
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


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    for trigger in ('insert', 'delete', 'update'):
        op.execute(f"DROP TRIGGER IF EXISTS complaint_search_{trigger}")
    op.execute("DROP TABLE IF EXISTS complaint_search")
