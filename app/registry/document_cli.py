"""`flask registry verify-document FILE.pdf`: is this receipt or letter one the registry issued?

With --certificate and --public-key (the files published at /verify/registry-certificate.pem
and /verify/registry-key.pem) it needs nothing else: no database, no key of its own. Without
them it checks against this instance's certificate and registry key. It never opens a
database connection either way.
"""

from __future__ import annotations

import sys
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import with_appcontext

if TYPE_CHECKING:
    from .document_check import DocumentCheck

_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


@click.command("verify-document")
@click.argument("file", type=_FILE)
@click.option("--certificate", type=_FILE,
              help="The registry's document-signing certificate (PEM); default: this instance's.")
@click.option("--public-key", type=_FILE,
              help="The registry's Ed25519 public key (PEM); default: this instance's.")
@with_appcontext
def verify_document_command(file: Path, certificate: Path | None, public_key: Path | None) -> None:
    """Check a receipt or letter PDF offline; exit 1 unless it is genuine."""
    from .document_check import CheckError, check_document  # pyHanko and pypdf: loaded for this command only

    certificate_pem = (certificate.read_bytes() if certificate
                       else current_app.extensions["document_signer"].certificate_pem())
    public_key_pem = (public_key.read_bytes() if public_key
                      else current_app.extensions["registry_signer"].public_pem())
    try:
        result = check_document(file.read_bytes(), certificate_pem=certificate_pem, public_key_pem=public_key_pem)
    except CheckError as error:
        raise click.UsageError(str(error)) from None
    if not result.genuine:
        click.echo(f"not genuine: {'; '.join(result.reasons)}")
        sys.exit(1)
    click.echo(f"genuine: {describe(result)}")


def describe(result: DocumentCheck) -> str:
    """'receipt 2026/000123, fingerprint 3F2A-9C1B-77D0-E4A5, signed by … on 2026-11-22 12:05 UTC'."""
    record = result.record or {}
    what = f"{record.get('kind', 'document')} {record.get('outgoing_number') or record.get('number', '')}".strip()
    if record.get("outgoing_number") and record.get("number"):
        what += f" (complaint {record['number']})"
    when = f" on {result.signed_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if result.signed_at else ""
    return f"{what}, fingerprint {result.fingerprint}, signed by {result.signer}{when}"
