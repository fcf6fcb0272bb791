"""What the data export holds, declared once, column by column (streamed by portal/services/export.py).

Every column of every model holding a person's data is either in a section below or in
`EXCLUDED` with the reason it is left out. tests/unit/test_export_completeness.py fails when a
model gains a column that is in neither, and docs/EXPORT.md explains every key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import false, select

from portal.lookup_words import purpose_text
from portal.models import (
    AuditEvent,
    Customer,
    DataSource,
    Disclosure,
    Handoff,
    Invoice,
    MarketingChange,
    MarketingProhibition,
    Order,
    PrivacyRequest,
    ProcessingFlag,
    Quote,
    RecipientNotice,
    RequestEvent,
    RequestMessage,
    User,
    UserSession,
)
from portal.services.lookups import Lookup, is_lookup_of, lookup_from

CURRENCY = "EUR"


@dataclass(frozen=True)
class Owner:
    """The ids that tie rows to one person: the register entry and their log-in account."""

    customer_id: int
    account_id: int | None


@dataclass(frozen=True)
class Field:
    """One exported value: its key in the export and the column it is read from.

    `expr` gives the SQL to read instead of the column itself (a request's reference for its
    `request_id`); `derive` computes the value from the row's raw columns (by column name).
    """

    key: str
    column: str | None = None  # None: the constant `value`, or `derive`
    value: object = None
    local_date: bool = False  # a timestamp given as its date in the portal's time zone
    expr: Callable[[], object] | None = None
    derive: Callable[[dict], object] | None = None


@dataclass(frozen=True)
class Section:
    """A part of the export: rows of one model, a JSON key and a CSV file."""

    key: str
    file: str
    model: type
    fields: tuple[Field, ...]
    where: Callable[[Owner], object]
    reads: tuple[str, ...] = ()  # more columns read only for `derive`


def _f(*columns: str) -> tuple[Field, ...]:
    return tuple(Field(column, column) for column in columns)


def _reference_of(model) -> Callable[[], object]:
    """The reference of the request a row belongs to, read in place of its request_id."""
    return lambda: (select(PrivacyRequest.reference).where(PrivacyRequest.id == model.request_id)
                    .scalar_subquery())


def _of_own_requests(model) -> Callable[[Owner], object]:
    return lambda o: model.request_id.in_(
        select(PrivacyRequest.id).where(PrivacyRequest.customer_id == o.customer_id))


def _lookup(raw: dict) -> Lookup:
    return lookup_from(raw["occurred_at"], raw["purpose"], raw["details"])


MONEY = (Field("total_cents", "total_cents"), Field("currency", value=CURRENCY))

PERSON = Section("person", "person.csv", Customer, _f(
    "id", "customer_number", "first_name", "last_name", "organisation", "position", "business_id",
    "email", "phone",
    "street_address", "postal_code", "city", "country", "website", "ip_address",
    "billing_address", "e_invoice_address", "e_invoice_operator", "technical_data", "language",
    "relationship_start", "relationship_end", "is_contact_person", "demo", "created_at",
    "updated_at", "erased_at", "purge_on"), lambda o: Customer.id == o.customer_id)
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
    "deadline", "extension_reason", "details", "reply_contact", "decided_at", "decision_reason",
    "decision_details"), lambda o: PrivacyRequest.customer_id == o.customer_id)
STATUS_HISTORY = Section("status_history", "request_status_history.csv", RequestEvent,
                         _f("request_id", "at", "status", "actor_kind", "note"),
                         _of_own_requests(RequestEvent))
# Staff's internal notes are the person's data too (Art 15): exported, marked internal.
MESSAGES = Section("messages", "request_messages.csv", RequestMessage,
                   _f("request_id", "at", "author_kind", "internal", "body"),
                   _of_own_requests(RequestMessage))
RECIPIENT_NOTICES = Section("recipient_notices", "recipient_notices.csv", RecipientNotice, (
    Field("request_reference", "request_id", expr=_reference_of(RecipientNotice)),
    *_f("recipient", "method", "created_at", "done_at")), _of_own_requests(RecipientNotice))
PROCESSING_FLAGS = Section("processing_flags", "processing_flags.csv", ProcessingFlag, (
    *_f("kind", "scope", "purpose", "since", "lifted_at"),
    Field("request_reference", "request_id", expr=_reference_of(ProcessingFlag))),
    lambda o: ProcessingFlag.customer_id == o.customer_id)
# Decisions handed to the company's own systems (sync API), and whether they were carried out there.
HANDOFFS = Section("handoffs", "handoffs.csv", Handoff, _f(
    "kind", "request_reference", "payload", "created_at", "acknowledged_at", "outcome", "note"),
    lambda o: Handoff.customer_id == o.customer_id)
LOGINS = Section("logins", "logins.csv", UserSession, (
    Field("started_at", "created_at"), Field("last_seen_at", "last_seen_at"),
    Field("ended_at", "revoked_at"), Field("end_reason", "revoked_reason")),
    lambda o: UserSession.user_id == o.account_id if o.account_id else false())
# Look-ups by staff: when and why, in the customer's words; never who (CJEU C-579/21).
STAFF_LOOKUPS = Section("staff_lookups", "staff_lookups.csv", AuditEvent, (
    Field("date", "occurred_at", local_date=True),
    Field("reason", derive=lambda raw: _lookup(raw).reason),
    Field("reference", derive=lambda raw: _lookup(raw).reference),
    Field("purpose", derive=lambda raw: purpose_text(_lookup(raw)))),
    lambda o: is_lookup_of(o.customer_id), reads=("purpose", "details"))

REQUEST_PARTS = (STATUS_HISTORY, MESSAGES)  # nested in each request in the JSON document
# The JSON document's lists in order; a tuple is an object holding several lists.
LAYOUT: tuple = (ORDERS, QUOTES, INVOICES, SOURCES, DISCLOSURES,
                 ("marketing", (PROHIBITIONS, MARKETING_HISTORY)), REQUESTS, RECIPIENT_NOTICES,
                 PROCESSING_FLAGS, HANDOFFS, LOGINS, STAFF_LOOKUPS)
LISTS = (ORDERS, QUOTES, INVOICES, SOURCES, DISCLOSURES, PROHIBITIONS, MARKETING_HISTORY,
         REQUESTS, STATUS_HISTORY, MESSAGES, RECIPIENT_NOTICES, PROCESSING_FLAGS, HANDOFFS, LOGINS,
         STAFF_LOOKUPS)
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
           "mf_recovery_codes": "secret: one-time recovery codes that replace the authenticator",
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
    RecipientNotice: {"id": _ROW,
                      "disclosure_id": "the disclosure row the notice answers; the recipient is named"},
    ProcessingFlag: {"id": _ROW, "customer_id": _PERSON},
    Handoff: {"id": _ROW, "customer_id": _PERSON,
              "customer_number": "the company's customer number, exported once as person.customer_number",
              "acknowledged_by": "the id of the company system's API key that answered: a credential, "
                                 "not information about the person"},
    UserSession: {"id": _ROW, "user_id": "the account, exported once as account",
                  "key_hash": "secret: the hash of the session cookie's key"},
    AuditEvent: {"id": _ROW, "customer_id": _PERSON, "actor_id": _STAFF,
                 "action": "internal action code; only look-ups (customer_viewed) are exported",
                 "actor_kind": "always 'staff' for the look-ups exported",
                 "prev_hash": "audit hash chain: tamper evidence, not information about the person",
                 "hash": "audit hash chain: tamper evidence, not information about the person"},
}


def exported_columns() -> dict[type, set[str]]:
    """The columns each model gives to the export (`details` of a look-up: its reason, reference, note)."""
    columns: dict[type, set[str]] = {}
    for section in SECTIONS:
        columns.setdefault(section.model, set()).update(
            {f.column for f in section.fields if f.column} | set(section.reads))
    return columns
