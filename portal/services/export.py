"""Download my data (GDPR Art 15(3), Art 20): one JSON document, or a ZIP of CSV files.

Both come out as a stream. Each list is read in batches of `BATCH_SIZE` rows by keyset
pagination on the primary key (every batch is one short, bounded query: the same on SQLite
and PostgreSQL, and no database cursor stays open while a slow client downloads) and written
out before the next batch is read, so memory does not grow with the customer's history.

What is exported is declared once, column by column, in the sections below; every column
left out is in `EXCLUDED` with the reason. The format, key by key, is in docs/EXPORT.md.
tests/unit/test_export_completeness.py fails when a model gains a column that is in neither,
or when docs/EXPORT.md does not explain a key.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from itertools import chain

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from portal.models import (
    AuditEvent,
    ControllerSettings,
    Customer,
    DataSource,
    Disclosure,
    Invoice,
    MarketingChange,
    MarketingProhibition,
    Order,
    PrivacyRequest,
    Quote,
    RequestEvent,
    RequestMessage,
    User,
    UserSession,
)
from portal.models.settings import PLAIN_FIELDS
from portal.services.audit import record_audit

SCHEMA = "portal-export"
SCHEMA_VERSION = 1
CURRENCY = "EUR"
BATCH_SIZE = 500
FORMATS = ("json", "zip")
DATA_EXPORTED = "data_exported"
BOM = "\ufeff".encode()
CSV_DELIMITER = ";"  # what Excel expects in a Finnish locale, where the decimal mark is a comma
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Owner:
    """The ids that tie rows to one person: the register entry and their log-in account."""

    customer_id: int
    account_id: int | None


@dataclass(frozen=True)
class Field:
    """One exported value: its key in the export and the column it is read from."""

    key: str
    column: str | None = None  # None: the constant `value`
    value: object = None
    local_date: bool = False  # a timestamp given as its date in the portal's time zone


@dataclass(frozen=True)
class Section:
    """A part of the export: rows of one model, a JSON key and a CSV file."""

    key: str
    file: str
    model: type
    fields: tuple[Field, ...]
    where: Callable[[Owner], object]


def _f(*columns: str) -> tuple[Field, ...]:
    return tuple(Field(column, column) for column in columns)


MONEY = (Field("total_cents", "total_cents"), Field("currency", value=CURRENCY))

PERSON = Section("person", "person.csv", Customer, _f(
    "id", "first_name", "last_name", "organisation", "position", "business_id", "email", "phone",
    "street_address", "postal_code", "city", "country", "website", "ip_address",
    "billing_address", "e_invoice_address", "e_invoice_operator", "technical_data", "language",
    "relationship_start", "relationship_end", "is_contact_person", "demo", "created_at",
    "updated_at"), lambda o: Customer.id == o.customer_id)
ACCOUNT = Section("account", "account.csv", User, _f(
    "email", "active", "created_at", "activated_at", "confirmed_at", "locale",
    "tf_primary_method", "tf_phone_number"), lambda o: User.customer_id == o.customer_id)

ORDERS = Section("orders", "orders.csv", Order, (
    *_f("number", "ordered_on", "description"), *MONEY, *_f("channel")),
    lambda o: Order.customer_id == o.customer_id)
QUOTES = Section("quotes", "quotes.csv", Quote, (
    *_f("number", "issued_on", "valid_until", "description"), *MONEY, *_f("status")),
    lambda o: Quote.customer_id == o.customer_id)
INVOICES = Section("invoices", "invoices.csv", Invoice, (
    *_f("number", "issued_on", "due_on"), *MONEY, *_f("status", "paid_on")),
    lambda o: Invoice.customer_id == o.customer_id)
SOURCES = Section("sources", "sources.csv", DataSource, _f("kind", "detail", "received_on"),
                  lambda o: DataSource.customer_id == o.customer_id)
DISCLOSURES = Section("disclosures", "disclosures.csv", Disclosure, _f(
    "disclosed_at", "recipient", "recipient_category", "recipient_email", "data_disclosed"),
    lambda o: Disclosure.customer_id == o.customer_id)
PROHIBITIONS = Section("prohibitions", "marketing_prohibitions.csv", MarketingProhibition,
                       _f("channel", "since"),
                       lambda o: MarketingProhibition.customer_id == o.customer_id)
MARKETING_HISTORY = Section("history", "marketing_history.csv", MarketingChange,
                            _f("changed_at", "channel", "prohibited", "changed_by"),
                            lambda o: MarketingChange.customer_id == o.customer_id)
REQUESTS = Section("requests", "requests.csv", PrivacyRequest, _f(
    "id", "reference", "kind", "status", "channel", "received_at", "due_on", "extended_due_on",
    "extension_reason", "details", "reply_contact", "decided_at", "decision_reason",
    "decision_details"), lambda o: PrivacyRequest.customer_id == o.customer_id)


def _of_own_requests(model) -> Callable[[Owner], object]:
    return lambda o: model.request_id.in_(
        select(PrivacyRequest.id).where(PrivacyRequest.customer_id == o.customer_id))


STATUS_HISTORY = Section("status_history", "request_status_history.csv", RequestEvent,
                         _f("request_id", "at", "status", "actor_kind", "note"),
                         _of_own_requests(RequestEvent))
MESSAGES = Section("messages", "request_messages.csv", RequestMessage,
                   _f("request_id", "at", "author_kind", "body"), _of_own_requests(RequestMessage))
LOGINS = Section("logins", "logins.csv", UserSession, (
    Field("started_at", "created_at"), Field("last_seen_at", "last_seen_at"),
    Field("ended_at", "revoked_at"), Field("end_reason", "revoked_reason")),
    lambda o: UserSession.user_id == o.account_id if o.account_id else false())
STAFF_LOOKUPS = Section("staff_lookups", "staff_lookups.csv", AuditEvent, (
    Field("date", "occurred_at", local_date=True), Field("purpose", "purpose")),
    lambda o: (AuditEvent.customer_id == o.customer_id) & (AuditEvent.actor_kind == "staff"))

REQUEST_PARTS = (STATUS_HISTORY, MESSAGES)  # nested in each request in the JSON document
# The JSON document's lists in order; a tuple is an object holding several lists.
LAYOUT: tuple = (ORDERS, QUOTES, INVOICES, SOURCES, DISCLOSURES,
                 ("marketing", (PROHIBITIONS, MARKETING_HISTORY)), REQUESTS, LOGINS, STAFF_LOOKUPS)
LISTS = (ORDERS, QUOTES, INVOICES, SOURCES, DISCLOSURES, PROHIBITIONS, MARKETING_HISTORY,
         REQUESTS, STATUS_HISTORY, MESSAGES, LOGINS, STAFF_LOOKUPS)
SECTIONS = (PERSON, ACCOUNT, *LISTS)

_ROW = "internal row number; means nothing outside this database"
_PERSON = "the person's own id, exported once as person.id"
_STAFF = "identifies the employee; the customer is told what was done and when, not by whom (CJEU C-579/21)"
EXCLUDED: dict[type, dict[str, str]] = {
    Customer: {},
    User: {"id": _ROW, "customer_id": _PERSON,
           "password": "secret: the password hash",
           "fs_uniquifier": "secret: signs the log-in session; with it a session could be forged",
           "tf_totp_secret": "secret: the two-step verification key",
           "tf_totp_last_counter": "security state: the time step of the last accepted one-time code",
           "confidentiality_signed_at": "staff only (confidentiality commitment); never set for a customer"},
    Order: {"id": _ROW, "customer_id": _PERSON},
    Quote: {"id": _ROW, "customer_id": _PERSON},
    Invoice: {"id": _ROW, "customer_id": _PERSON},
    DataSource: {"id": _ROW, "customer_id": _PERSON},
    Disclosure: {"id": _ROW, "customer_id": _PERSON},
    MarketingProhibition: {"id": _ROW, "customer_id": _PERSON},
    MarketingChange: {"id": _ROW, "customer_id": _PERSON,
                      "actor_id": "the account that made the change; " + _STAFF},
    PrivacyRequest: {"customer_id": _PERSON,
                     "filed_by_id": "the account that filed it; " + _STAFF,
                     "assignee_id": _STAFF, "decided_by_id": _STAFF,
                     "version": "edit counter that stops two reviewers deciding at once"},
    RequestEvent: {"id": _ROW, "actor_id": _STAFF},
    RequestMessage: {"id": _ROW, "author_id": _STAFF},
    UserSession: {"id": _ROW, "user_id": "the account, exported once as account",
                  "key_hash": "secret: the hash of the session cookie's key"},
    AuditEvent: {"id": _ROW, "customer_id": _PERSON, "actor_id": _STAFF,
                 "action": "internal action code; a look-up is told by its date and purpose",
                 "actor_kind": "always 'staff' for the look-ups exported",
                 "details": "internal details of the staff action; may name colleagues or systems",
                 "prev_hash": "audit hash chain: tamper evidence, not information about the person",
                 "hash": "audit hash chain: tamper evidence, not information about the person"},
}


def exported_columns() -> dict[type, set[str]]:
    """The columns each model gives to the export."""
    columns: dict[type, set[str]] = {}
    for section in SECTIONS:
        columns.setdefault(section.model, set()).update(f.column for f in section.fields if f.column)
    return columns


def record_export(session: Session, user, fmt: str) -> None:
    """Audit a download of the user's own data as it starts (commits)."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    record_audit(session, DATA_EXPORTED, actor=user, customer_id=user.customer_id,
                 details={"format": fmt})
    session.commit()


def neutralise(text: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula with a single quote."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _value(field: Field, raw, tz: tzinfo):
    """A column's value as JSON has it: ISO 8601 dates and times, stored codes as they are."""
    if field.column is None:
        return field.value
    if isinstance(raw, datetime) and field.local_date:
        return raw.astimezone(tz).date().isoformat()
    if isinstance(raw, datetime):
        return raw.astimezone(UTC).isoformat(timespec="seconds")
    return raw.isoformat() if isinstance(raw, date) else raw


def _batches(session: Session, section: Section, where, tz: tzinfo) -> Iterator[list[dict]]:
    """The section's rows as dicts, oldest first, one bounded query per batch (no commit)."""
    model = section.model
    fields = [f for f in section.fields if f.column]
    base = select(model.id, *(getattr(model, f.column) for f in fields)).where(where)
    last = None
    while True:
        query = base if last is None else base.where(model.id > last)
        rows = session.execute(query.order_by(model.id).limit(BATCH_SIZE)).all()
        if rows:
            yield [_item(section, dict(zip((f.key for f in fields), row[1:], strict=True)), tz)
                   for row in rows]
            last = rows[-1][0]
        if len(rows) < BATCH_SIZE:
            return


def _item(section: Section, raw: dict, tz: tzinfo) -> dict:
    return {f.key: _value(f, raw.get(f.key), tz) for f in section.fields}


def _rows(session: Session, section: Section, owner: Owner, tz: tzinfo) -> Iterator[list[dict]]:
    return _batches(session, section, section.where(owner), tz)


def _single(session: Session, section: Section, owner: Owner, tz: tzinfo) -> dict | None:
    return next((batch[0] for batch in _rows(session, section, owner, tz)), None)


def _controller(session: Session) -> dict | None:
    settings = session.get(ControllerSettings, 1)
    return {name: getattr(settings, name) for name in PLAIN_FIELDS} if settings else None


def _owner(session: Session, customer_id: int) -> Owner:
    account_id = session.execute(
        select(User.id).where(User.customer_id == customer_id)).scalar_one_or_none()
    return Owner(customer_id, account_id)


def _with_parts(session: Session, batch: list[dict], tz: tzinfo) -> list[dict]:
    """Nest each request's status history and messages in it."""
    by_id = {item["id"]: item for item in batch}
    for part in REQUEST_PARTS:
        for item in batch:
            item[part.key] = []
        for rows in _batches(session, part, part.model.request_id.in_(list(by_id)), tz):
            for row in rows:
                by_id[row["request_id"]][part.key].append(row)
    return batch


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def _json_list(session, section: Section, owner: Owner, tz, indent: str) -> Iterator[str]:
    yield "["
    separator = "\n"
    for batch in _rows(session, section, owner, tz):
        if section is REQUESTS:
            batch = _with_parts(session, batch, tz)
        yield separator + ",\n".join(indent + "  " + _dumps(item) for item in batch)
        separator = ",\n"
    yield "]" if separator == "\n" else "\n" + indent + "]"


def export_json(session: Session, customer_id: int, *, now: datetime, tz: tzinfo) -> Iterator[str]:
    """The person's data as one JSON document, yielded piece by piece (no commit)."""
    owner = _owner(session, customer_id)
    head = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION,
            "generated_at": now.astimezone(UTC).isoformat(timespec="seconds"),
            "controller": _controller(session), "person": _single(session, PERSON, owner, tz),
            "account": _single(session, ACCOUNT, owner, tz)}
    yield "{\n" + ",\n".join(f"  {_dumps(key)}: {_dumps(value)}" for key, value in head.items())
    for part in LAYOUT:
        if isinstance(part, Section):
            yield f",\n  {_dumps(part.key)}: "
            yield from _json_list(session, part, owner, tz, "  ")
            continue
        key, sections = part
        yield f",\n  {_dumps(key)}: {{"
        for number, section in enumerate(sections):
            yield ("" if number == 0 else ",") + f"\n    {_dumps(section.key)}: "
            yield from _json_list(session, section, owner, tz, "    ")
        yield "\n  }"
    yield "\n}\n"


def _cell(value) -> str:
    """One CSV cell: empty for none, JSON for structures, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return neutralise(str(value))


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerows([_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


class _Sink:
    """A write-only, unseekable buffer the archive writes into and the stream drains."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the stream drains the chunks."""

    def drain(self) -> Iterator[bytes]:
        if self._chunks:
            data = b"".join(self._chunks)
            self._chunks.clear()
            yield data


def _tables(session: Session, owner: Owner, tz: tzinfo) -> Iterator[tuple[str, Iterator[list]]]:
    """Each CSV file's name and its rows in batches, the header row first."""
    controller = _controller(session) or {}
    for name, values in (("controller.csv", controller),
                         (PERSON.file, _single(session, PERSON, owner, tz) or {}),
                         (ACCOUNT.file, _single(session, ACCOUNT, owner, tz) or {})):
        yield name, iter([[["field", "value"], *values.items()]])
    for section in LISTS:
        header = [f.key for f in section.fields]
        batches = ([[item[key] for key in header] for item in batch]
                   for batch in _rows(session, section, owner, tz))
        yield section.file, chain([[header]], batches)


def export_zip(session: Session, customer_id: int, *, now: datetime, tz: tzinfo,
               readme: str) -> Iterator[bytes]:
    """The person's data as a ZIP of UTF-8 CSV files and `readme`, yielded as built (no commit)."""
    owner = _owner(session, customer_id)
    stamp = now.astimezone(tz).timetuple()[:6]
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def entry(name: str):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            return archive.open(info, "w")

        with entry("README.txt") as out:
            out.write(BOM + readme.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))
        yield from sink.drain()
        for name, batches in _tables(session, owner, tz):
            with entry(name) as out:
                out.write(BOM)
                for rows in batches:
                    out.write(_csv(rows))
                    yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()
