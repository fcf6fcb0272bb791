"""Searching, exporting and checking the audit log (tapahtumaloki) for administrators.

Read-only over `audit_event`, apart from the one entry that audits each export. Pages are keyset
pages by id, newest first; the CSV export reads every match in bounded batches, oldest first.
Each page or batch takes one query for its rows and one for the staff emails of its actors, so
the number of queries does not grow with the page size.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import AuditEvent, Customer, Role, User, roles_users
from portal.services.audit import AnchorFileError, ChainReport, read_anchors, record_audit, verify_chain
from portal.services.export import BOM, CSV_DELIMITER, neutralise

PAGE_SIZE = 50
BATCH_SIZE = 500
EXPORTED = "audit_log_exported"
STAFF_ROLES = ("reviewer", "admin")
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
_COLUMNS = (AuditEvent.id, AuditEvent.occurred_at, AuditEvent.action, AuditEvent.actor_kind,
            AuditEvent.actor_id, AuditEvent.customer_id, AuditEvent.purpose, AuditEvent.details,
            AuditEvent.hash)


@dataclass(frozen=True)
class Criteria:
    """What to look for; every field optional. Ids and codes only, never an email."""

    customer_id: int | None = None
    reference: str | None = None
    staff_id: int | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def as_args(self) -> dict[str, str]:
        """The criteria as the search page's query arguments (only those given)."""
        values = {"customer": self.customer_id, "reference": self.reference, "staff": self.staff_id,
                  "action": self.action, "date_from": self.date_from, "date_to": self.date_to}
        return {name: str(value) for name, value in values.items() if value is not None}

    def as_details(self) -> dict[str, str | int]:
        """The criteria for an audit entry's details: the same codes, ids as numbers."""
        ids = {"customer": self.customer_id, "staff": self.staff_id}
        return {**self.as_args(), **{name: value for name, value in ids.items() if value is not None}}


@dataclass(frozen=True)
class Row:
    """One audit entry as the page and the CSV show it."""

    id: int
    occurred_at: datetime
    action: str
    actor_kind: str
    actor_id: int | None
    actor_email: str | None  # staff actors only
    customer_id: int | None
    purpose: str | None
    details: dict
    details_text: str
    hash: str


@dataclass(frozen=True)
class Page:
    """One page of matches, newest first; `next_before` continues it (None on the last page)."""

    rows: tuple[Row, ...]
    next_before: int | None


@dataclass(frozen=True)
class Verification:
    """The chain check: the report, or that the anchor file could not be read (report None)."""

    report: ChainReport | None
    anchors_found: bool


def customer_id_for_email(session: Session, email: str) -> int | None:
    """The id of the register entry with exactly this email address (case aside), if any."""
    wanted = email.strip().lower()
    if len(wanted) > 255 or not wanted.isprintable():  # PostgreSQL refuses NUL in text
        return None
    return session.execute(select(Customer.id).where(func.lower(Customer.email) == wanted)
                           .order_by(Customer.id).limit(1)).scalar_one_or_none()


def staff_accounts(session: Session) -> list[tuple[int, str]]:
    """Every staff account as (id, email), by email (no commit)."""
    return [tuple(row) for row in session.execute(
        select(User.id, User.email).join(roles_users, roles_users.c.user_id == User.id)
        .join(Role, Role.id == roles_users.c.role_id).where(Role.name.in_(STAFF_ROLES))
        .group_by(User.id, User.email).order_by(User.email))]


def actions_present(session: Session) -> list[str]:
    """The distinct action codes in the log (no commit)."""
    return list(session.execute(select(AuditEvent.action).distinct()).scalars())


def _day_start(day: date, tz: tzinfo) -> datetime:
    """Midnight at the start of `day` in `tz`, in UTC."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def _matching(criteria: Criteria, tz: tzinfo):
    """The SELECT of every entry matching `criteria`, unordered."""
    stmt = select(*_COLUMNS)
    if criteria.customer_id is not None:
        stmt = stmt.where(AuditEvent.customer_id == criteria.customer_id)
    if criteria.reference:
        # Details are JSON: a reference is always a whole quoted string value.
        stmt = stmt.where(AuditEvent.details.contains(f'"{criteria.reference}"', autoescape=True))
    if criteria.staff_id is not None:
        stmt = stmt.where(AuditEvent.actor_kind == "staff", AuditEvent.actor_id == criteria.staff_id)
    if criteria.action:
        stmt = stmt.where(AuditEvent.action == criteria.action)
    if criteria.date_from:
        stmt = stmt.where(AuditEvent.occurred_at >= _day_start(criteria.date_from, tz))
    if criteria.date_to:
        stmt = stmt.where(AuditEvent.occurred_at < _day_start(criteria.date_to + timedelta(days=1), tz))
    return stmt


def _staff_emails(session: Session, raw: Sequence) -> dict[int, str]:
    """The emails of the staff actors among `raw` rows, in one query."""
    ids = {row.actor_id for row in raw if row.actor_kind == "staff" and row.actor_id is not None}
    if not ids:
        return {}
    return {row.id: row.email for row in session.execute(
        select(User.id, User.email).where(User.id.in_(ids)))}


def _details(text: str) -> dict:
    """The stored details as a dict; text that is not a JSON object under the empty key."""
    try:
        value = json.loads(text)
    except ValueError:
        return {"": text}
    return value if isinstance(value, dict) else {"": text}


def _rows(session: Session, raw: Sequence) -> tuple[Row, ...]:
    """Rows of the page or batch, with their staff actors' emails (one more query)."""
    emails = _staff_emails(session, raw)
    return tuple(Row(id=r.id, occurred_at=r.occurred_at, action=r.action, actor_kind=r.actor_kind,
                     actor_id=r.actor_id,
                     actor_email=emails.get(r.actor_id) if r.actor_kind == "staff" else None,
                     customer_id=r.customer_id, purpose=r.purpose, details=_details(r.details),
                     details_text=r.details, hash=r.hash) for r in raw)


def search(session: Session, criteria: Criteria, *, tz: tzinfo, before: int | None = None,
           per_page: int = PAGE_SIZE) -> Page:
    """One page of matching entries, newest first, older than id `before` if given (no commit)."""
    stmt = _matching(criteria, tz)
    if before is not None:
        stmt = stmt.where(AuditEvent.id < before)
    raw = session.execute(stmt.order_by(AuditEvent.id.desc()).limit(per_page + 1)).all()
    rows = _rows(session, raw[:per_page])
    return Page(rows, rows[-1].id if len(raw) > per_page else None)


def record_export(session: Session, actor, criteria: Criteria) -> None:
    """Audit a CSV download of the log with its search criteria, as it starts (commits)."""
    record_audit(session, EXPORTED, actor=actor, details=criteria.as_details())
    session.commit()


def _batches(session: Session, criteria: Criteria, tz: tzinfo) -> Iterator[tuple[Row, ...]]:
    """Every matching entry, oldest first, in batches of BATCH_SIZE (one bounded query each)."""
    last = None
    while True:
        stmt = _matching(criteria, tz)
        if last is not None:
            stmt = stmt.where(AuditEvent.id > last)
        raw = session.execute(stmt.order_by(AuditEvent.id).limit(BATCH_SIZE)).all()
        if raw:
            yield _rows(session, raw)
            last = raw[-1].id
        if len(raw) < BATCH_SIZE:
            return


def _cell(value) -> str:
    """One CSV cell: empty for none, a would-be formula neutralised."""
    return "" if value is None else neutralise(str(value))


def csv_lines(rows: Sequence[Sequence]) -> bytes:
    """CSV lines in UTF-8 as Excel in a Finnish locale reads them (`;`, CRLF)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerows([_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def export_csv(session: Session, criteria: Criteria, *, tz: tzinfo, header: Sequence[str],
               label: Callable[[str], str]) -> Iterator[bytes]:
    """Every matching entry as UTF-8 CSV with a BOM and `;`, formulas neutralised (no commit).

    Columns: id, local ISO time, action code, `label(code)`, actor kind, staff email,
    customer id, purpose, details (JSON as chained), hash; `header` names them.
    """
    yield BOM + csv_lines([header])
    for batch in _batches(session, criteria, tz):
        yield csv_lines([(r.id, r.occurred_at.astimezone(tz).isoformat(timespec="seconds"), r.action,
                     label(r.action), r.actor_kind, r.actor_email, r.customer_id, r.purpose,
                     r.details_text, r.hash) for r in batch])


def verify_log(session: Session, anchor_file: Path) -> Verification:
    """Recompute the whole chain and compare it with the anchors in `anchor_file` (no commit)."""
    try:
        anchors = read_anchors(anchor_file)
    except AnchorFileError:
        return Verification(report=None, anchors_found=True)
    return Verification(report=verify_chain(session, anchors or ()), anchors_found=bool(anchors))
