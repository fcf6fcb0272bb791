"""Importing the customer register from files (`flask import-customers`).

Customers are upserted by the company's own customer number: a new number is inserted, a known
one gets only the columns that changed, an unchanged row is not touched at all. Orders, quotes
and invoices come from their own files, upserted by their own numbers. Every row of every file
is checked before anything is written; a file with a bad row stores nothing unless the caller
skips the bad rows. Rows are written with bulk statements in one transaction, and one audit
entry (counts only) records the run. Nothing here reads a request or prints: the CLI does that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from portal.models import Customer, User
from portal.models.types import utcnow
from portal.services import import_history, invitations
from portal.services.audit import record_audit
from portal.services.customer_sync import HISTORY
from portal.services.import_columns import CUSTOMER_COLUMNS, KEEP_WHEN_EMPTY, customer_row, map_header
from portal.services.import_files import ImportFileError, Table, read_table
from portal.services.import_history import HISTORY_KINDS, Counts, LineError, chunks, rows_of

AUDIT_ACTION = "customers_imported"
_FIELDS = tuple(column.name for column in CUSTOMER_COLUMNS)
_DEFAULTS = {**{name: None for name in _FIELDS}, **{k: v for k, v in KEEP_WHEN_EMPTY.items() if v},
             "is_contact_person": False}


class ImportConflict(Exception):
    """Someone else (the sync API, staff) wrote the same customer or item meanwhile; nothing was stored."""


class NoProgress:
    """A progress bar that shows nothing (the default)."""

    def __init__(self, label: str = "", total: int | None = None):
        self.label, self.total = label, total

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        return False

    def update(self, count: int = 1) -> None:
        """Count `count` more rows done."""


Progress = Callable[[str, int | None], NoProgress]


@dataclass(frozen=True)
class ImportFiles:
    """The files of one import run: customers and, each optional, orders, quotes and invoices."""

    customers: Path | None = None
    orders: Path | None = None
    quotes: Path | None = None
    invoices: Path | None = None
    encoding: str | None = None  # None: UTF-8 (BOM or not), else Windows-1252

    def given(self) -> dict[str, Path]:
        """The files given, by kind, customers first."""
        return {kind: path for kind in ("customers", *HISTORY_KINDS)
                if (path := getattr(self, kind)) is not None}


@dataclass
class ImportReport:
    """What a run found and did: counts per kind, line errors, how each file was read."""

    counts: dict[str, Counts] = field(default_factory=dict)
    errors: list[LineError] = field(default_factory=list)
    read_as: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # (encoding, separator)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    file_error: bool = False  # a file could not be read as a table: nothing is ever stored then
    stored: bool = False
    to_invite: tuple[str, ...] = ()  # customer numbers in the file, for --invite
    refused: set[str] = field(default_factory=set)  # customer numbers whose row was refused

    def error(self, kind: str, line: int, column: str | None, code: str, other: int | None = None):
        """Record one problem."""
        self.errors.append(LineError(kind, line, column, code, other))


@dataclass
class _Row:
    """A checked customer row: its values, the customer it updates and what changes."""

    line: int
    values: dict
    customer_id: int | None = None
    changed: dict = field(default_factory=dict)


def _check_rows(table: Table, report: ImportReport, progress: Progress) -> list[_Row]:
    """Each row checked on its own and against the file's other rows."""
    names = map_header(table.header, CUSTOMER_COLUMNS)
    rows, first_line = [], {}
    with progress("checking customers", table.total) as bar:
        for line, cells, problems in rows_of(table, names):
            values, more = customer_row(cells)
            problems += more
            for name in ("customer_number", "email"):
                key = values.get(name, "")
                key = key.lower() if name == "email" else key
                if key and key in first_line.setdefault(name, {}):
                    problems.append((name, "duplicate", first_line[name][key]))
                elif key:
                    first_line[name][key] = line
            for problem in problems:
                report.error("customers", line, *problem)
            if problems:
                report.refused.add(values.get("customer_number"))
            else:
                rows.append(_Row(line, values))
            bar.update()
    report.counts["customers"].invalid = len({e.line for e in report.errors if e.kind == "customers"})
    report.headers["customers"] = {n: h.strip() for n, h in zip(names, table.header, strict=False) if n}
    return rows


def _email_owners(session: Session) -> tuple[dict[str, int], dict[str, int | None]]:
    """Every address in the register and in the accounts, lower-cased: customer id / account's customer."""
    customers = {email.lower(): cid for cid, email in session.execute(select(Customer.id, Customer.email))}
    accounts = {email.lower(): cid for cid, email in session.execute(select(User.customer_id, User.email))}
    return customers, accounts


def _plan(session: Session, rows: list[_Row], report: ImportReport) -> list[_Row]:
    """Match rows to customers held now; what changes; addresses and erased people refused."""
    columns = {*report.headers["customers"], "relationship_start", "relationship_end"} - {"customer_number"}
    wanted = [Customer.id, Customer.customer_number, Customer.erased_at,
              *(getattr(Customer, name) for name in sorted(columns))]
    held = {}
    for part in chunks([row.values["customer_number"] for row in rows]):
        for found in session.execute(select(*wanted).where(Customer.customer_number.in_(part))):
            held[found.customer_number] = found
    customers, accounts = _email_owners(session)
    counts, good = report.counts["customers"], []
    for row in rows:
        now = held.get(row.values["customer_number"])
        row.customer_id = now.id if now else None
        problems = []
        email = row.values["email"].lower()
        if email in customers and customers[email] != row.customer_id or (
                email in accounts and (accounts[email] is None or accounts[email] != row.customer_id)):
            problems.append(("email", "email_taken"))
        if now is not None and now.erased_at is not None:
            problems.append(("customer_number", "customer_erased"))
        if now is not None:
            row.changed = {k: v for k, v in row.values.items() if getattr(now, k) != v}
            start = row.values.get("relationship_start", now.relationship_start)
            end = row.values.get("relationship_end", now.relationship_end)
            if end is not None and end < start:
                problems.append(("relationship_end", "before_start"))
        for problem in problems:
            report.error("customers", row.line, *problem)
        if problems:
            counts.invalid += 1
            report.refused.add(row.values["customer_number"])
            continue
        if now is None:
            counts.new += 1
        elif row.changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
        good.append(row)
    return good


def _write_customers(session: Session, rows: list[_Row], today: date, progress: Progress) -> dict[str, int]:
    """Insert the new customers and update the changed ones in bulk; returns number -> id of the new."""
    now = utcnow()
    new = [{**_DEFAULTS, "relationship_start": today, **row.values, "created_at": now, "updated_at": now}
           for row in rows if row.customer_id is None]
    changed = [{"id": row.customer_id, **row.changed, "updated_at": now}
               for row in rows if row.customer_id is not None and row.changed]
    ids = {}
    with progress("writing customers", len(new) + len(changed)) as bar:
        for part in chunks(new):  # Core executemany: one statement a chunk, NULLs as given
            session.execute(insert(Customer.__table__), part)
            numbers = [row["customer_number"] for row in part]
            ids.update(session.execute(select(Customer.customer_number, Customer.id)
                                       .where(Customer.customer_number.in_(numbers))).all())
            bar.update(len(part))
        for part in chunks(changed):
            session.execute(update(Customer), part)
            bar.update(len(part))
    _follow_email_changes(session, {row["id"]: row["email"] for row in changed if "email" in row})
    return ids


def _follow_email_changes(session: Session, emails: dict[int, str]) -> None:
    """An account's log-in address follows its customer's new address, as after a correction."""
    for part in chunks(list(emails)):
        accounts = session.execute(select(User.id, User.customer_id).where(User.customer_id.in_(part)))
        session.execute(update(User), [{"id": uid, "email": emails[cid].lower()} for uid, cid in accounts])


def import_register(session: Session, files: ImportFiles, *, today: date, dry_run: bool = False,
                    skip_invalid: bool = False, progress: Progress = NoProgress) -> ImportReport:
    """Check every file, then (unless a row is bad, or `dry_run`) write them all; commits.

    With `skip_invalid` the bad rows are left out and the rest is stored. A file that cannot be
    read as a table (unknown or missing column, empty, unreadable) stores nothing in any case.
    """
    report = ImportReport(counts={kind: Counts() for kind in files.given()})
    rows: list[_Row] = []
    checked: dict[str, list] = {}
    for kind, path in files.given().items():
        try:
            table = read_table(path, files.encoding)
            report.read_as[kind] = (table.encoding, table.separator)
            if kind == "customers":
                rows = _plan(session, _check_rows(table, report, progress), report)
            else:
                known = {row.values["customer_number"]: row.customer_id for row in rows}
                checked[kind] = import_history.check(session, kind, table, known, report, progress)
        except ImportFileError as problem:
            report.error(kind, 1, problem.column, problem.code)
            report.file_error = True
            break  # the later files' rows would only repeat that their customers are unknown
    report.to_invite = tuple(row.values["customer_number"] for row in rows)
    if report.file_error or dry_run or (report.errors and not skip_invalid):
        session.rollback()
        return report
    try:
        new_ids = _write_customers(session, rows, today, progress)
        for kind, items in checked.items():
            import_history.write(session, kind, items, new_ids, progress)
        record_audit(session, AUDIT_ACTION, actor_kind="system",
                     details={"skip_invalid": skip_invalid,
                              **{kind: counts.as_dict() for kind, counts in report.counts.items()}})
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ImportConflict() from None
    report.stored = True
    _analyze(session, ["customer", *(HISTORY[kind][0].__table__.name for kind in checked)])
    return report


def _analyze(session: Session, tables: list[str]) -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL), as autovacuum would give later.

    Without them the next import's look-ups by customer number, planned for the table as it was
    before, scan the whole table once per chunk.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(text(f"ANALYZE {table}"))
    session.commit()


def uninvited(session: Session, numbers: tuple[str, ...]) -> list[int]:
    """Ids of the customers with these numbers who have no account yet, so were never invited."""
    ids: list[int] = []
    for part in chunks(list(numbers)):
        query = (select(Customer.id).outerjoin(User, User.customer_id == Customer.id)
                 .where(Customer.customer_number.in_(part), User.id.is_(None), Customer.erased_at.is_(None))
                 .order_by(Customer.id))
        ids.extend(session.execute(query).scalars())
    return ids


def invite_imported(session: Session, signer: invitations.Signer, numbers: tuple[str, ...], *,
                    progress: Progress = NoProgress, batch: int = 200) -> int:
    """Queue an invitation, in each customer's language, for those of `numbers` without an account.

    Uses the invitation path of `flask invite` (an account without a password, an email through
    the outbox, an audit entry each) and commits every `batch` customers. An invited customer
    has an account from then on, so a second run invites nobody twice. Needs a request context
    on PORTAL_BASE_URL for the links. Returns how many were invited.
    """
    ids = uninvited(session, numbers)
    with progress("inviting", len(ids)) as bar:
        for part in chunks(ids, batch):
            query = select(Customer).where(Customer.id.in_(part)).options(selectinload(Customer.account))
            for customer in session.execute(query).scalars():
                invitations.invite_customer(session, signer, customer)
            session.commit()
            bar.update(len(part))
    return len(ids)
