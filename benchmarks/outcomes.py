"""The outcome figures (app/manage/outcomes.py: the dashboard's "Outcomes" section, its CSVs, the
monthly report) on a seeded database: through the weekly rollup against every complaint read
live, in the same run.

Run from the project root on a database seeded by benchmarks/dashboard.py (`--keep`), or a copy
of one (`CREATE DATABASE x TEMPLATE y`); it is upgraded first (`flask db upgrade`, timed: the
migration `outcome_rollups` fills the decisions' closure bands and the rollup):

    .venv/bin/python benchmarks/outcomes.py --database NAME [--rounds 15]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Periods: the whole year up to now, the last 30 days, the current month (the dashboard's default),
each for every category and for one. Prints p50 / p95 per period and path, and the ratio; checks
that both paths give the same figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from statistics import quantiles

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from app.clock import local_day_start, now_utc  # noqa: E402
from app.dates import local  # noqa: E402
from app.manage import outcome_rollup, outcomes  # noqa: E402
from app.settings.store import current_settings  # noqa: E402
from benchmarks.harness import machine  # noqa: E402
from tests._support import config_class  # noqa: E402


def _periods(now: datetime, zone: str) -> list[tuple[str, datetime, datetime]]:
    today = local(now, zone).date()
    return [
        ("whole year", local_day_start(today - timedelta(days=365), zone), now),
        ("last 30 days", local_day_start(today - timedelta(days=30), zone), now),
        ("this month", local_day_start(today.replace(day=1), zone), now),
    ]


def _timed(function) -> tuple[float, object]:
    began = time.perf_counter()
    result = function()
    return (time.perf_counter() - began) * 1000, result


def _p(values: list[float]) -> tuple[float, float]:
    cuts = quantiles(values, n=20, method="inclusive")
    return cuts[9], cuts[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a seeded database (it is upgraded)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--category", default="payments", help="the one category timed as well")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    url = make_url(args.postgres_url).set(database=args.database).render_as_string(hide_password=False)
    instance = Path(tempfile.mkdtemp(prefix="bench_outcomes_"))
    app = create_app(config_class(SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(instance),
                                  REGISTRY_KEY_PATH=str(instance / "registry_ed25519.pem"),
                                  ATTACHMENTS_DIR=str(instance / "attachments"),
                                  MAIL_OUTBOX_DIR=str(instance / "outbox")))
    print(machine())
    with app.app_context():
        began = time.perf_counter()
        flask_migrate.upgrade()
        print(f"flask db upgrade: {time.perf_counter() - began:.1f} s")
        settings = current_settings()
        zone = app.config["REGISTRY_TIMEZONE"]
        kept = outcome_rollup._kept

        def figures(start: datetime, end: datetime, category: str | None, rolled: bool):
            outcome_rollup._kept = kept if rolled else (lambda: False)  # type: ignore[method-assign]
            try:
                return outcomes.outcome_figures(start, end, category=category, policies=settings.clock_policies,
                                                calendar=settings.calendar)
            finally:
                outcome_rollup._kept = kept  # type: ignore[method-assign]

        print(f"{'period':<28} {'rollup p50 / p95 ms':>20} {'live p50 / p95 ms':>20} {'live / rollup':>14}")
        for name, start, end in _periods(now_utc(), zone):
            for category in (None, args.category):
                times: dict[bool, list[float]] = {True: [], False: []}
                results = {}
                for _ in range(args.rounds + 1):  # the first round warms up, uncounted
                    for rolled in (True, False):
                        ms, results[rolled] = _timed(partial(figures, start, end, category, rolled))
                        times[rolled].append(ms)
                assert results[True] == results[False], f"{name}: the rollup and the live figures differ"
                (r50, r95), (l50, l95) = _p(times[True][1:]), _p(times[False][1:])
                label = f"{name}{', ' + category if category else ''}"
                print(f"{label:<28} {r50:>9.1f} / {r95:>7.1f} {l50:>9.1f} / {l95:>7.1f} {l95 / r95:>13.1f}x")


if __name__ == "__main__":
    main()
