"""`flask registry verify`: check the whole chain from the command line."""

from __future__ import annotations

import json
import sys
import time

import click
from flask.cli import AppGroup

from .checkpoint_cli import checkpoint_command
from .checkpoints import newest_checkpoint, newest_verified_checkpoint, record_verified
from .document_cli import verify_document_command
from .verify import verify_registry

cli = AppGroup("registry", help="Verify the registry; fill an empty one with demo data.")


@cli.command("verify")
@click.option("--full", is_flag=True, help="Walk the whole registry, not only what came after the newest "
                                           "checkpoint an earlier verification confirmed.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (for machines).")
@click.option("--no-files", is_flag=True, help="Do not read the evidence files or the issued documents' files.")
def verify_command(full: bool, as_json: bool, no_files: bool) -> None:
    """Check the registry; exit 1 if anything was altered, removed, added or reordered.

    Each finding names the number, what is wrong, what the signed record expects and what was
    found. A clean run marks the newest checkpoint it covered as verified, so the next run
    starts there (--full always starts from the first entry)."""
    since = None if full else newest_verified_checkpoint()
    started = time.perf_counter()
    report = verify_registry(files=not no_files, since=since)
    seconds = time.perf_counter() - started
    if report.ok:
        covered = newest_checkpoint(at_most=report.last_position)
        if covered is not None and (since is None or covered.position > since.position):
            record_verified(covered)
    if as_json:
        click.echo(json.dumps({**report.as_json(), "seconds": round(seconds, 3)}, ensure_ascii=False, indent=1))
        sys.exit(0 if report.ok else 1)
    for problem in report.problems:
        click.echo(f"FAIL {problem}", err=True)
    scope = (f"from checkpoint #{report.since_position} to #{report.last_position}" if since
             else f"#1 to #{report.last_position}")
    if report.ok:
        click.echo(f"OK: {report.entries_checked} entries verified ({scope}), {report.complaints_checked} complaints, "
                   f"{report.files_checked} files; chain intact, no gaps ({seconds:.1f} s).")
        return
    click.echo(f"{len(report.problems)} problem(s) in {report.entries_checked} entries ({scope}).", err=True)
    sys.exit(1)


@cli.command("seed-demo")
@click.option("--count", type=click.IntRange(1), default=None,
              help="Load COUNT registered complaints with the fast bulk loader (benchmarks) instead of the story.")
@click.option("--batch", "batch_size", type=click.IntRange(1, 100_000), default=10_000, show_default=True,
              help="With --count: complaints per transaction.")
@click.option("--days", type=click.IntRange(1, 3650), default=None,
              help="Spread the complaints over this many days up to now (the story: 90; --count: 730).")
@click.option("--append", is_flag=True, help="With --count: add to a registry that already holds complaints.")
@click.option("--seed", "random_seed", type=int, default=None, help="Make the same demo data again.")
def seed_demo_command(count: int | None, batch_size: int, days: int | None, append: bool,
                      random_seed: int | None) -> None:
    """Fill an empty registry with demo data (never in production).

    Without --count: about 300 complaints of the last 90 days, registered through every channel
    and handled by the demo accounts with the real operations (answers, decisions, disputes,
    breaches, escalations), in one transaction of about a minute. --count N: N complaints,
    registered only, as fast as the database takes them (demos at scale and benchmarks)."""
    import logging

    from ..journal.seed import RegistryNotEmpty
    from .demo import DemoDataRefused

    if count is None:
        if append:
            raise click.UsageError("--append goes with --count: the story goes only into an empty registry.")
        _tell_story(days, random_seed)
        return

    from ..journal.seed import seed_demo

    logging.getLogger("app.desk.operations").setLevel(logging.WARNING)  # not a line per annulment

    def progress(done: int, seconds: float) -> None:
        click.echo(f"  {done:>9,} / {count:,} complaints  {seconds:7.1f} s  ({done / seconds:,.0f}/s)")

    try:
        report = seed_demo(count, batch_size=batch_size, append=append, days=days or 730, random_seed=random_seed,
                           progress=progress)
    except (RegistryNotEmpty, DemoDataRefused) as refused:
        raise click.ClickException(str(refused)) from None
    years = ", ".join(f"{year}: {n:,}" for year, n in sorted(report.per_year.items()))
    click.echo(f"Created {report.created:,} demo complaints ({years}) in {report.seconds:.1f} s, "
               f"{report.created / report.seconds:,.0f}/s; {report.annulled} annulled"
               f"{' (' + report.annul_note + ')' if report.annul_note else ''}.")


def _tell_story(days: int | None, random_seed: int | None) -> None:
    import logging

    from ..journal.demo import STORY_COMPLAINTS, STORY_DAYS, tell_demo_story
    from ..journal.seed import RegistryNotEmpty
    from .demo import DemoDataRefused

    for name in ("app.desk.operations", "app.workflow.operations", "app.intake.operations",
                 "app.workflow.enforcement", "app.workflow.verdict", "app.workflow.joins", "app.answers.operations"):
        logging.getLogger(name).setLevel(logging.WARNING)  # not a line per step
    try:
        report = tell_demo_story(STORY_COMPLAINTS, days=days or STORY_DAYS, random_seed=random_seed,
                                 progress=click.echo)
    except (RegistryNotEmpty, DemoDataRefused) as refused:
        raise click.ClickException(str(refused)) from None

    def listed(counts: dict) -> str:
        return ", ".join(f"{getattr(key, 'value', key)} {n}" for key, n in counts.most_common())

    click.echo(f"Registered {report.complaints} demo complaints in {report.seconds:.1f} s, with "
               f"{report.entries:,} signed entries, {report.letters} numbered letters, {report.breaches} breaches "
               f"and {report.escalations} escalations.")
    click.echo(f"  now:       {listed(report.statuses)}")
    click.echo(f"  channels:  {listed(report.channels)}")
    click.echo(f"  languages: {listed(report.languages)}")
    click.echo(f"  also:      {report.templates} answer templates ({report.template_letters} letters started from them), "
               f"{report.ratings} ratings, {report.joins} joined, {report.links} linked, "
               f"{report.reviews} escalation reviews")
    click.echo("Sign in with a demo login; every page says this is demonstration data. "
               "`flask registry verify` checks it all.")


cli.add_command(checkpoint_command)
cli.add_command(verify_document_command)
