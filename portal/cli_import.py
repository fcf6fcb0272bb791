"""`flask import-customers`: load the register from CSV or Excel files (see docs/IMPORT.md).

Exit status: 0 when stored (or a clean dry run), 1 when rows have errors and nothing was stored
(or a dry run found errors), 2 when a file cannot be read as a table.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from tqdm import tqdm

from portal.extensions import db
from portal.import_words import line_message
from portal.models.types import utcnow
from portal.services import importing, invitations
from portal.services.import_columns import CUSTOMER_COLUMNS, HISTORY_COLUMNS
from portal.services.requests import helsinki_date

SHOWN_ERRORS = 50
CONFLICT = ("another writer (the sync API or staff) changed the same customers or items at the same "
            "moment; nothing was stored: run the import again")
_ENCODINGS = {"utf-8-sig": "UTF-8 with BOM", "utf-8": "UTF-8", "cp1252": "Windows-1252 (the file is "
              "not valid UTF-8; save it as 'CSV UTF-8' to be sure of the letters)", "xlsx": "Excel workbook"}
_SEPARATORS = {";": "';'", ",": "','", "\t": "tab"}
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _progress_bars(show: bool):
    """A progress-bar maker for the service: tqdm on stderr, or nothing."""
    if not show:
        return importing.NoProgress

    def bar(label: str, total: int | None):
        """One bar; it disappears when done, leaving the summary."""
        return tqdm(total=total, desc=label, unit=" rows", file=sys.stderr, leave=False,
                    dynamic_ncols=True, mininterval=0.5)

    return bar


def _finnish(kind: str, name: str) -> str:
    """The Finnish header of column `name`, for messages about a missing column."""
    columns = CUSTOMER_COLUMNS if kind == "customers" else HISTORY_COLUMNS[kind]
    return next((c.finnish for c in columns if c.name == name), name)


def _echo_errors(report: importing.ImportReport, files: importing.ImportFiles) -> None:
    """The line errors, first SHOWN_ERRORS of them, each with its file, line and column."""
    errors = sorted(report.errors, key=lambda e: (list(files.given()).index(e.kind), e.line))
    with force_locale("en"):
        for error in errors[:SHOWN_ERRORS]:
            headers = report.headers.get(error.kind, {})
            column = headers.get(error.column) or error.column
            if error.code == "missing_column":
                column = f"{error.column} ({_finnish(error.kind, error.column)})"
            where = f"{getattr(files, error.kind).name}: line {error.line}"
            where += f": {column}" if column and error.code not in (
                "unknown_column", "duplicate_column", "missing_column") else ""
            click.echo(f"{where}: {line_message(error, column)}", err=True)
    if len(errors) > SHOWN_ERRORS:
        click.echo(f"... and {len(errors) - SHOWN_ERRORS} more.", err=True)


def _echo_summary(report: importing.ImportReport, files: importing.ImportFiles) -> None:
    """How each file was read, and the counts table."""
    for kind, (encoding, separator) in report.read_as.items():
        how = _ENCODINGS.get(encoding, encoding)
        if separator:
            how += f", separated by {_SEPARATORS.get(separator, repr(separator))}"
        click.echo(f"Read {getattr(files, kind).name} as {how}.")
    if report.file_error:
        return
    title = "stored" if report.stored else "checked"
    click.echo(f"{title:10} {'new':>9} {'updated':>9} {'unchanged':>9} {'invalid':>9}")
    for kind, counts in report.counts.items():
        click.echo(f"{kind:10} {counts.new:>9,} {counts.updated:>9,} {counts.unchanged:>9,} "
                   f"{counts.invalid:>9,}")


def _invite(report: importing.ImportReport, dry_run: bool, show: bool) -> None:
    """Queue the invitations (or, in a dry run, count them)."""
    if dry_run:
        count = report.counts["customers"].new + len(importing.uninvited(db.session, report.to_invite))
        click.echo(f"Would invite {count} customer(s) without an account.")
        return
    signer = invitations.Signer.from_config(current_app.config)
    with current_app.test_request_context(base_url=current_app.config["PORTAL_BASE_URL"]):
        count = importing.invite_imported(db.session, signer, report.to_invite,
                                          progress=_progress_bars(show))
    click.echo(f"Invitations queued: {count} ('flask outbox send' or its timer sends them).")


@click.command("import-customers")
@click.argument("customers", required=False, type=_FILE)
@click.option("--orders", type=_FILE, help="Orders file (CSV or XLSX).")
@click.option("--quotes", type=_FILE, help="Quotes file (CSV or XLSX).")
@click.option("--invoices", type=_FILE, help="Invoices file (CSV or XLSX).")
@click.option("--dry-run", is_flag=True, help="Check every row and count; store nothing.")
@click.option("--skip-invalid", is_flag=True, help="Store the good rows even if some rows are bad.")
@click.option("--invite", is_flag=True,
              help="Email an invitation, in their language, to each customer in the file without an account.")
@click.option("--encoding", help="Encoding of CSV files (default: UTF-8 with or without BOM, "
                                 "else Windows-1252).")
@click.option("--progress/--no-progress", default=None, help="Progress bars (default: on a terminal).")
@with_appcontext
def import_customers(customers: Path | None, orders: Path | None, quotes: Path | None,
                     invoices: Path | None, dry_run: bool, skip_invalid: bool, invite: bool,
                     encoding: str | None, progress: bool | None):
    """Import customers from CUSTOMERS (.csv or .xlsx), upserted by customer number.

    Columns, formats, the upsert rule and exit codes: docs/IMPORT.md.
    """
    if not (customers or orders or quotes or invoices):
        raise click.UsageError("give a customers file, or --orders, --quotes or --invoices")
    if invite and not customers:
        raise click.UsageError("--invite needs a customers file")
    show = sys.stderr.isatty() if progress is None else progress
    files = importing.ImportFiles(customers, orders, quotes, invoices, encoding)
    try:
        report = importing.import_register(db.session, files, today=helsinki_date(utcnow()),
                                           dry_run=dry_run, skip_invalid=skip_invalid,
                                           progress=_progress_bars(show))
    except importing.ImportConflict:
        raise click.ClickException(CONFLICT) from None
    _echo_summary(report, files)
    _echo_errors(report, files)
    if report.file_error:
        click.echo("Nothing stored: a file cannot be read (see above).", err=True)
        sys.exit(2)
    if report.errors and not skip_invalid:
        what = "Dry run" if dry_run else "Nothing stored"
        click.echo(f"{what}: {len({(e.kind, e.line) for e in report.errors})} row(s) have errors. Fix "
                   "them, or use --skip-invalid to store the other rows.", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("Dry run: every row checked, nothing stored.")
    else:
        skipped = f" ({sum(c.invalid for c in report.counts.values())} bad row(s) skipped)" \
            if report.errors else ""
        click.echo(f"Stored{skipped}.")
    if invite:
        _invite(report, dry_run, show)
