"""The dashboard's narrow copy of each complaint: only what the figures read.

`complaint_facts` has one row per complaint, written by database triggers (see the migration
`complaint_facts`) in the same statement as the change that causes it: a complaint inserted or
one of its copied columns updated, a dispute message written, a breach recorded. So the copy is
exact under concurrent writes by construction (it commits or rolls back with the change), and
every writer is covered: the ORM, the precompiled registration INSERT, the bulk UPDATE of
deadline enforcement, COPY. The figures (app/manage/figures/) read these ~100-byte rows
instead of the ~1 kB complaint rows, and never join messages or breaches.

`app.manage.facts.recomputed()` computes the same rows from scratch; the tests compare them.
"""


import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..complaints.models import Channel, ComplaintStatus
from ..database import UTCDateTime
from ..extensions import db
from ..workflow.models import DeadlineKind
from ..workflow.states import NOT_COUNTED, OPEN


def _copied_enum(enum_cls: type[enum.Enum]) -> Enum:
    """The complaint's enum value, read back as the enum; no CHECK of its own (the complaint's
    column has one, and a new status then needs no change here)."""
    return Enum(enum_cls, native_enum=False, create_constraint=False, length=20,
                values_callable=lambda members: [m.value for m in members])


#: Statuses of a settled complaint (with an answer): neither open nor annulled nor joined. The rollups
#: (app/manage/rollup.py) count these; the migration `figure_rollups` writes the same list out.
SETTLED = tuple(sorted(s.value for s in ComplaintStatus if s not in OPEN | NOT_COUNTED))
#: The settled complaints of complaint_facts, as SQL, written exactly as the migration
#: `figure_rollups` wrote the partial index's condition (statuses in its order, "resolved"
#: first): a database uses the partial index below for `NOT` it only when the query's condition
#: is the index's, and SQLite compares them as written.
#: Since the migration `rolled_open_work`, a complaint counted that is stamped `rolled_at` (by
#: `rollup.roll`: registered more than ROLLED_AGE before, and answered or past its
#: first-response due) is settled too, for as long as it was answered or due by then.
_NOT_COUNTED_LIST = ', '.join(repr(s.value) for s in sorted(NOT_COUNTED))
SETTLED_SQL = (f"((complaint_facts.status IN ({', '.join(repr(status) for status in sorted(SETTLED, reverse=True))}) "
               "AND complaint_facts.first_responded_at IS NOT NULL) "
               f"OR (complaint_facts.rolled_at IS NOT NULL AND complaint_facts.status NOT IN ({_NOT_COUNTED_LIST}) "
               "AND (complaint_facts.first_responded_at IS NOT NULL "
               "OR coalesce(complaint_facts.first_response_due <= complaint_facts.rolled_at, false))))")
#: The statuses the figures never count (states.NOT_COUNTED: annulled, joined), as SQL written
#: out as the migration `live_part_counted` wrote its partial indexes' conditions.
UNCOUNTED_SQL = f"complaint_facts.status IN ({_NOT_COUNTED_LIST})"
#: The complaints the figures read live: counted and not settled (open, or settled without an
#: answer). Annulled and joined ones are in neither part, so the live part follows the open
#: work, not every record annulled in the registry's history.
UNSETTLED_SQL = f"NOT {SETTLED_SQL} AND NOT {UNCOUNTED_SQL}"

#: The sums of figure_cells beyond a settled complaint's (migration `rolled_open_work`): answered,
#: and open per open status (`open_<status>`, OPEN_STATUSES in order).
OPEN_STATUSES = tuple(sorted(s.value for s in OPEN))
OPEN_SUMS = ("answered", *(f"open_{status}" for status in OPEN_STATUSES))

#: The open complaints the rollups count (rolled up: `rollup.roll`), which the live part does
#: not hold: the escalation desk's count reads them by their own partial index (migration
#: `rolled_open_index`), written out as it is.
ROLLED_OPEN_SQL = f"{SETTLED_SQL} AND complaint_facts.status IN ({', '.join(map(repr, OPEN_STATUSES))})"

#: complaint_facts' count of breach rows per kind of deadline (as app/manage/facts.py BREACH_COUNTS).
BREACH_COLUMNS = tuple(f"{kind.value}_breaches" for kind in DeadlineKind)

#: Every column of complaint_facts but `registered_at`, which the partial index of unsettled
#: complaints carries on PostgreSQL besides its key (migration `live_part_covering`): the live
#: reads of the dashboard, the analysis and the complaints per category (app/manage/figures/,
#: analysis.py, rollup.py) then read the open work, whose rows lie scattered through the table
#: as complaints change, from the index alone. The index holds the open work only, so its width
#: costs little.
LIVE_COLUMNS = (
    "complaint_id", "category", "channel", "tier", "status", "owner_id", "transfer_count",
    "first_response_due", "first_responded_at", "resolved_at", "disputed", "first_response_breaches",
    "resolution_breaches", "email", "phone", "escalations_first_response_breach",
    "escalations_resolution_breach", "escalations_complainant_request", "escalations_transfers",
    "escalations_owner_request", "escalations_clock_breach", "registration_breaches",
    "acknowledgement_breaches", "holding_response_breaches", "final_response_breaches",
)

#: Indexes on complaint_facts that the migration makes on PostgreSQL only, one on each duration,
#: (first_responded_at - registered_at) and (resolved_at - registered_at): a percentile's bucket
#: read in order. Expression indexes, which the schema comparison cannot reflect on SQLite.
POSTGRESQL_ONLY_INDEXES = ("ix_complaint_facts_first_response_time", "ix_complaint_facts_resolution_time",
                           # and the outcome rollups' days and weeks, covering (migration `outcome_covering_indexes`)
                           "ix_outcome_days_covering", "ix_outcome_weeks_covering")
#: Their SQLite counterparts (migration `analysis_rollups`), on each duration in milliseconds as
#: `app.database.epoch_ms` writes it there; SQLite's reflection skips expression indexes.
SQLITE_ONLY_INDEXES = ("ix_complaint_facts_first_response_ms", "ix_complaint_facts_resolution_ms")


class ComplaintFacts(db.Model):
    """A complaint as the dashboard counts it. Written by triggers only, but for `rolled_at`
    (`rollup.roll`)."""

    __tablename__ = "complaint_facts"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    category: Mapped[str] = mapped_column(String(50))
    channel: Mapped[Channel] = mapped_column(_copied_enum(Channel))
    tier: Mapped[int] = mapped_column(Integer)
    status: Mapped[ComplaintStatus] = mapped_column(_copied_enum(ComplaintStatus))
    owner_id: Mapped[int | None] = mapped_column(Integer)
    transfer_count: Mapped[int] = mapped_column(Integer)
    first_response_due: Mapped[datetime] = mapped_column(UTCDateTime())
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: A dispute message was written about it (at least once).
    disputed: Mapped[bool] = mapped_column(Boolean, server_default=false())
    #: Breach rows of each kind.
    first_response_breaches: Mapped[int] = mapped_column(Integer, server_default="0")
    resolution_breaches: Mapped[int] = mapped_column(Integer, server_default="0")
    #: The complaint's contacts, as the analysis counts recurring complainants: the e-mail
    #: address in lower case, the phone number (migration `analysis_rollups`).
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    #: Escalation rows per reason (app.workflow.models.EscalationReason) ...
    escalations_first_response_breach: Mapped[int] = mapped_column(Integer, server_default="0")
    escalations_resolution_breach: Mapped[int] = mapped_column(Integer, server_default="0")
    escalations_complainant_request: Mapped[int] = mapped_column(Integer, server_default="0")
    escalations_transfers: Mapped[int] = mapped_column(Integer, server_default="0")
    escalations_owner_request: Mapped[int] = mapped_column(Integer, server_default="0")
    escalations_clock_breach: Mapped[int] = mapped_column(Integer, server_default="0")
    #: ... and breach rows of the regulatory clocks' deadlines per kind.
    registration_breaches: Mapped[int] = mapped_column(Integer, server_default="0")
    acknowledgement_breaches: Mapped[int] = mapped_column(Integer, server_default="0")
    holding_response_breaches: Mapped[int] = mapped_column(Integer, server_default="0")
    final_response_breaches: Mapped[int] = mapped_column(Integer, server_default="0")
    #: When `rollup.roll` found the complaint's figures no longer depend on the moment (old, and
    #: answered or past its first-response due): from then on the rollups count it (SETTLED_SQL).
    rolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        db.Index("ix_complaint_facts_registered_at", "registered_at"),
        # The complaints the figures count that the rollups do not (app/manage/rollup.py), read live
        # (on PostgreSQL from the index alone: it carries what the live reads use) ...
        db.Index("ix_complaint_facts_unsettled", "registered_at", postgresql_include=list(LIVE_COLUMNS),
                 postgresql_where=text(UNSETTLED_SQL), sqlite_where=text(UNSETTLED_SQL)),
        # ... the open ones the rollups count, by registration (how many are younger than the
        # backlog's last bucket, `figures.overview`), with what the dashboard's filters and the
        # escalation desk's count read (migration `rolled_open_by_age`) ...
        db.Index("ix_complaint_facts_rolled_open", "registered_at",
                 postgresql_include=["tier", "category", "channel", *BREACH_COLUMNS],
                 postgresql_where=text(ROLLED_OPEN_SQL), sqlite_where=text(ROLLED_OPEN_SQL)),
        # ... and those they never count, by category (`rollup.complaints_per_category`).
        db.Index("ix_complaint_facts_uncounted", "category",
                 postgresql_where=text(UNCOUNTED_SQL), sqlite_where=text(UNCOUNTED_SQL)),
    )


# --- the rollups of settled complaints (app/manage/rollup.py; the migration `figure_rollups`) ---

#: Tables the migrations fill and only `flask figures rebuild` changes (the tests keep them);
#: local_days is the outcome rollups' (app/manage/outcome_rollup.py).
FIXED_TABLES = ("figure_state", "figure_weeks", "figure_groupings", "figure_buckets", "local_days")


class FigureState(db.Model):
    """The one row: the time zone whose weeks `figure_weeks` holds and the rollups are keyed by."""

    __tablename__ = "figure_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone: Mapped[str] = mapped_column(String(64))

    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)


class FigureWeek(db.Model):
    """A Monday and the instant it starts in the zone of `figure_state`."""

    __tablename__ = "figure_weeks"

    monday: Mapped[date] = mapped_column(Date, primary_key=True)
    starts: Mapped[datetime] = mapped_column(UTCDateTime(), unique=True)


class FigureGrouping(db.Model):
    """Which of category, channel, tier and owner a rollup line is broken down by (id: the bit
    mask 1, 2, 4, 8 of them)."""

    __tablename__ = "figure_groupings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    by_category: Mapped[bool] = mapped_column(Boolean)
    by_channel: Mapped[bool] = mapped_column(Boolean)
    by_tier: Mapped[bool] = mapped_column(Boolean)
    by_owner: Mapped[bool] = mapped_column(Boolean)


class FigureBucket(db.Model):
    """A duration bucket: from `lower_ms` (inclusive) to the next bucket's."""

    __tablename__ = "figure_buckets"

    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    lower_ms: Mapped[int] = mapped_column(BigInteger, unique=True)


class _RollupKey:
    """The grouping of a rollup line and its filter columns ('' / 0 where not grouped by)."""

    grouping: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    category: Mapped[str] = mapped_column(String(50), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    tier: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class _CellSums:
    """The sums of a line of figure_cells (and figure_cell_years): the settled complaints, their
    met deadlines, disputes, transfers and breaches; of them, answered (a decided complaint
    always was, a rolled-up one may not be: migration `rolled_open_work`) and still open, per
    open status."""

    complaints: Mapped[int] = mapped_column(Integer)
    met: Mapped[int] = mapped_column(Integer)
    disputed: Mapped[int] = mapped_column(Integer)
    transfers: Mapped[int] = mapped_column(Integer)
    first_response_breaches: Mapped[int] = mapped_column(Integer)
    resolution_breaches: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer, server_default="0")
    open_in_progress: Mapped[int] = mapped_column(Integer, server_default="0")
    open_registered: Mapped[int] = mapped_column(Integer, server_default="0")
    open_reopened: Mapped[int] = mapped_column(Integer, server_default="0")
    open_responded: Mapped[int] = mapped_column(Integer, server_default="0")
    open_waiting: Mapped[int] = mapped_column(Integer, server_default="0")


class FigureCell(_RollupKey, _CellSums, db.Model):
    """Settled complaints of one week and grouping: '' / 0 / -1 in a column not grouped by
    (owner 0: nobody; transfer_count is kept only where owner is not)."""

    __tablename__ = "figure_cells"

    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    transfer_count: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    monday: Mapped[date] = mapped_column(Date, primary_key=True)

    #: A period's lines of one grouping, found by the period (migration `figure_years`) and, on
    #: PostgreSQL, read from the index alone, whatever order the table's rows are in.
    __table_args__ = (db.Index("ix_figure_cells_period", "grouping", "monday", postgresql_include=[
        "category", "channel", "tier", "owner_id", "transfer_count", "complaints", "met", "disputed", "transfers",
        "first_response_breaches", "resolution_breaches", *OPEN_SUMS]),)


class FigureDuration(_RollupKey, db.Model):
    """Settled complaints of one week and grouping (never by owner) whose time to first response
    (measure 1) or to resolution (2) falls in a bucket."""

    __tablename__ = "figure_durations"

    measure: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    monday: Mapped[date] = mapped_column(Date, primary_key=True)
    complaints: Mapped[int] = mapped_column(Integer)

    #: As figure_cells' (migration `figure_years`).
    __table_args__ = (db.Index("ix_figure_durations_period", "grouping", "monday", postgresql_include=[
        "category", "channel", "tier", "measure", "bucket", "complaints"]),)


class FigureCellYear(_RollupKey, _CellSums, db.Model):
    """figure_cells' lines summed per ISO year of their Monday (each ISO year is whole weeks):
    kept from the weekly lines by triggers on figure_cells (migration `figure_years`), so a
    period reads its whole years here and only the weeks at its ends there."""

    __tablename__ = "figure_cell_years"

    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    transfer_count: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class FigureDurationYear(_RollupKey, db.Model):
    """figure_durations' lines summed per ISO year of their Monday (as `FigureCellYear`)."""

    __tablename__ = "figure_duration_years"

    measure: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    complaints: Mapped[int] = mapped_column(Integer)


class FigureReason(_RollupKey, db.Model):
    """Escalations (kind 'escalation', by reason) and breaches (kind 'breach', by deadline) of
    the settled complaints of one week and grouping (never by owner): the analysis page's "why
    complaints rose" (migration `analysis_rollups`)."""

    __tablename__ = "figure_reasons"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    reason: Mapped[str] = mapped_column(String(30), primary_key=True)
    monday: Mapped[date] = mapped_column(Date, primary_key=True)
    events: Mapped[int] = mapped_column(Integer)


class FigureContact(db.Model):
    """Settled complaints of one week, category, channel and tier that give a contact (an
    e-mail address in lower case or a phone number): the analysis page's recurring
    complainants, counted from weeks (migration `analysis_rollups`)."""

    __tablename__ = "figure_contacts"

    monday: Mapped[date] = mapped_column(Date, primary_key=True)
    contact: Mapped[str] = mapped_column(String(254), primary_key=True)
    category: Mapped[str] = mapped_column(String(50), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    tier: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    complaints: Mapped[int] = mapped_column(Integer)

    #: One contact's weeks of a period, read by key (migration `contact_totals`).
    __table_args__ = (db.Index("ix_figure_contacts_contact", "contact", "monday"),)


#: The contacts of figure_contact_totals with two complaints or more, in the analysis page's
#: order (most complaints first, then the contact in byte order): (complaints DESC, contact)
#: WHERE complaints > 1, the contact COLLATE "C" on PostgreSQL. Made by the migration
#: `contact_totals` alone: the schema comparison cannot compare a collation in an index.
CONTACT_TOTALS_INDEX = "ix_figure_contact_totals_recurring"


#: The trigram index of the directory of contacts (PostgreSQL; kept empty on SQLite).
CONTACT_DIRECTORY_INDEX = "ix_figure_contact_totals_trgm"


class FigureContactTotal(db.Model):
    """Every complaint ever registered (of any status) that gives a contact, per contact: no
    period holds more of a contact's complaints, so the analysis page's recurring complainants
    are looked for among the contacts with the most first (migration `contact_totals`).

    It is also the registry's directory of every e-mail address and phone number a complaint
    gives: on PostgreSQL the journal's e-mail and phone searches look there first
    (app/journal/search.py), by the trigram index below (migration `contact_directory_search`),
    so they read the distinct contacts, not every complaint's. On SQLite that index is kept
    empty (WHERE 0): its own FTS5 index serves those searches."""

    __tablename__ = "figure_contact_totals"

    contact: Mapped[str] = mapped_column(String(254), primary_key=True)
    complaints: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        db.Index(CONTACT_DIRECTORY_INDEX, "contact", postgresql_using="gin",
                 postgresql_ops={"contact": "gin_trgm_ops"}, sqlite_where=db.text("0")),
    )


class FigureContactYear(db.Model):
    """Every complaint registered in one calendar year (UTC) that gives a contact, of any
    status, per year and contact: no period holds more of a contact's complaints than the years
    it touches, so a period of a year or two looks for its recurring complainants among the
    contacts with the most in those years, whatever the registry's age (migration
    `contact_years`)."""

    __tablename__ = "figure_contact_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    contact: Mapped[str] = mapped_column(String(254), primary_key=True)
    complaints: Mapped[int] = mapped_column(Integer)

    #: A year's contacts with two complaints or more, the most first (read backwards).
    __table_args__ = (db.Index("ix_figure_contact_years_recurring", "year", "complaints",
                               postgresql_where=text("complaints > 1"), sqlite_where=text("complaints > 1")),)


class FigureContactMonth(db.Model):
    """Every complaint registered in one calendar month (UTC) that gives a contact, of any
    status, per month (its first day) and contact: no period holds more of a contact's
    complaints than the months it touches, so a period of a few weeks looks for its recurring
    complainants among the contacts with the most in those months (migration `contact_months`)."""

    __tablename__ = "figure_contact_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    contact: Mapped[str] = mapped_column(String(254), primary_key=True)
    complaints: Mapped[int] = mapped_column(Integer)

    #: A month's contacts with two complaints or more, the most first (read backwards).
    __table_args__ = (db.Index("ix_figure_contact_months_recurring", "month", "complaints",
                               postgresql_where=text("complaints > 1"), sqlite_where=text("complaints > 1")),)


# --- regulator returns and monthly reports as issued (app/manage/issued_returns.py) ------------


class IssuedReturn(db.Model):
    """A return (or monthly report) for a period that had ended, as first downloaded: the file
    kept once in the write-once return store under its SHA-256, which a signed "return_issued"
    event names together with the figures. Every later download serves that file.

    One per (kind, period, format, language): a concurrent second first download fails on that
    key and serves the first one's file.
    """

    __tablename__ = "issued_returns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: "fca", "ukgc" or "monthly_report" (app/manage/returns.py: ReturnKind).
    kind: Mapped[str] = mapped_column(String(30))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    #: "pdf", "csv" or "xlsx".
    format: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The signed "return_issued" event (NULL: none did; verify reports it).
    entry_position: Mapped[int | None] = mapped_column(ForeignKey("registry_entries.position"), unique=True)

    __table_args__ = (
        db.UniqueConstraint("kind", "period_start", "period_end", "format", "language"),
        CheckConstraint("format IN ('pdf', 'csv', 'xlsx')", name="known_format"),
        CheckConstraint("period_start < period_end", name="period_in_order"),
        CheckConstraint("size > 0", name="size_positive"),
    )
