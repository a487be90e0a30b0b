"""The dashboard's figures, aggregate queries in SQL (the same on SQLite and PostgreSQL).

Plain functions of a `ComplaintFilter` (app/complaints/filters.py) and a moment: no request, no
Flask, no Python loop over complaints. The settled complaints (resolved or closed, and
answered) of the period's full weeks are read from the rollups the database keeps of them
(app/manage/rollup.py): a few thousand lines instead of a million complaints. Every other
complaint of the period (open, not answered, or registered in a partial week at either end) is
read live from `complaint_facts` (app/manage/models.py), the narrow copy of each complaint that
triggers keep in step with every change. Each function reads one snapshot of the database, so
the two parts never overlap.

- definitions.py: what each figure means, the values they come as, their SQL conditions;
- overview.py: `overview`, every figure but the timings (one statement for the live part, one
  small grouped read per breakdown of the rollups);
- percentiles.py: `timings`, the percentiles: counts per duration bucket, then the one
  complaint at the wanted rank read from its bucket.
"""

from .definitions import (
    BACKLOG_BUCKETS,
    MEDIAN,
    P90,
    Breaches,
    Bucket,
    Group,
    OpenCounts,
    Overview,
    Percentiles,
    Share,
    Summary,
    Timings,
    Week,
    counted,
)
from .overview import PARTS, WEEKS_SHOWN, overview, week_limits
from .percentiles import timings

__all__ = [
    "BACKLOG_BUCKETS", "MEDIAN", "PARTS", "WEEKS_SHOWN", "P90", "Breaches", "Bucket", "Group", "OpenCounts", "Overview", "Percentiles",
    "Share", "Summary", "Timings", "Week", "counted", "overview", "timings", "week_limits",
]
