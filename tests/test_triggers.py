"""Every trigger the figures (and SQLite's search index) rely on is there after the migrations,
on each database.

The rollups (complaint_facts, figure_*, outcome_*) are kept by database triggers that the models
do not declare, so the schema comparison in test_migrations.py cannot see them. On SQLite a
migration that rebuilds a table (Alembic's batch mode: copy, drop, rename) drops that table's
triggers without a word, and the figures would then go quietly stale, and SQLite's contact search
index with them. This list is the migrations' own: a new trigger is added here in the change
that adds it.
"""

from __future__ import annotations

from sqlalchemy import text

from app.extensions import db

#: (table, trigger) at the head of the migrations, on both databases.
TRIGGERS = {
    ("breaches", "complaint_facts_breach"),
    ("breaches", "complaint_facts_clock_breach"),
    ("breaches", "outcome_breaches_insert"),
    ("breaches", "outcome_breaches_update"),
    ("case_messages", "complaint_facts_dispute"),
    ("complaint_clocks", "outcome_complaint_clocks_insert"),
    ("complaint_clocks", "outcome_complaint_clocks_update"),
    ("complaint_facts", "analysis_rollups_delete"),
    ("complaint_facts", "analysis_rollups_insert"),
    ("complaint_facts", "analysis_rollups_update"),
    ("complaint_facts", "contact_months_delete"),
    ("complaint_facts", "contact_months_insert"),
    ("complaint_facts", "contact_months_update"),
    ("complaint_facts", "contact_totals_delete"),
    ("complaint_facts", "contact_totals_insert"),
    ("complaint_facts", "contact_totals_update"),
    ("complaint_facts", "contact_years_delete"),
    ("complaint_facts", "contact_years_insert"),
    ("complaint_facts", "contact_years_update"),
    ("complaint_facts", "figure_rollups_delete"),
    ("complaint_facts", "figure_rollups_insert"),
    ("complaint_facts", "figure_rollups_update"),
    ("complaint_ratings", "outcome_complaint_ratings_insert"),
    ("answer_template_uses", "outcome_answer_template_uses_insert"),
    ("complaints", "complaint_facts_insert"),
    ("complaints", "complaint_facts_update"),
    ("complaints", "outcome_complaints_insert"),
    ("complaints", "outcome_complaints_moved"),
    ("complaints", "outcome_complaints_update"),
    ("escalations", "complaint_facts_escalation"),
    ("figure_cells", "figure_cell_years_delete"),
    ("figure_cells", "figure_cell_years_insert"),
    ("figure_cells", "figure_cell_years_update"),
    ("figure_durations", "figure_duration_years_delete"),
    ("figure_durations", "figure_duration_years_insert"),
    ("figure_durations", "figure_duration_years_update"),
    ("outcome_weeks", "outcome_week_years_delete"),
    ("outcome_weeks", "outcome_week_years_insert"),
    ("outcome_weeks", "outcome_week_years_update"),
}

#: PostgreSQL folds the outcome rollups' pending rows at commit (a deferred trigger of its own),
#: and defers the complaint_facts triggers to the commit, after the writer's other locks.
POSTGRESQL_ONLY = {("outcome_pending", "outcome_fold")}
#: SQLite keeps its trigram index of names, e-mail addresses and phones (app/journal/search.py)
#: in step with the complaints; PostgreSQL's GIN indexes need no trigger.
SQLITE_ONLY = {("complaints", "complaint_search_batch"), ("complaints", "complaint_search_update"),
               ("complaints", "complaint_search_delete")}
DEFERRED_ON_POSTGRESQL = {(table, name) for table, name in TRIGGERS if table == "complaint_facts"} | POSTGRESQL_ONLY


def test_every_rollup_trigger_is_there_after_the_migrations(app):
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.execute(text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"))
            assert set(map(tuple, rows)) == TRIGGERS | SQLITE_ONLY
            return
        rows = connection.execute(text(
            "SELECT tgrelid::regclass::text, tgname, tgdeferrable FROM pg_trigger WHERE NOT tgisinternal"
        )).all()
        assert {(table, name) for table, name, _ in rows} == TRIGGERS | POSTGRESQL_ONLY
        assert {(table, name) for table, name, deferrable in rows if deferrable} == DEFERRED_ON_POSTGRESQL
