"""`flask reports monthly --month 2026-11`: the monthly report as a PDF file, the same bytes
the web page gives for the same month and language."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..audit.models import AuditAction
from ..audit.service import record
from ..database import commit_with_retry
from ..languages import SUPPORTED_LANGUAGES
from .service import BadMonth, monthly_report_pdf, parse_month, report_filename

cli = AppGroup("reports", help="The monthly report as a PDF.")


@cli.command("monthly")
@click.option("--month", required=True, help="The calendar month, YYYY-MM (e.g. 2026-11).")
@click.option("--language", type=click.Choice(SUPPORTED_LANGUAGES), default="en", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Where to write the PDF (default: complaints-report-YYYY-MM.pdf here).")
def monthly_command(month: str, language: str, output: Path | None) -> None:
    """Write the monthly complaints report (complaints registered in the month) as a PDF."""
    try:
        year, number = parse_month(month)
    except BadMonth as error:
        raise click.BadParameter(str(error), param_hint="--month") from None
    pdf = monthly_report_pdf(year, number, language)
    path = output or Path(report_filename(year, number))
    path.write_bytes(pdf)
    commit_with_retry(lambda: record(
        AuditAction.MONTHLY_REPORT, target=f"monthly report {year:04d}-{number:02d}",
        details={"format": "pdf", "language": language, "month": f"{year:04d}-{number:02d}", "via": "cli"},
    ))
    click.echo(f"Wrote {path} ({len(pdf):,} bytes).")
