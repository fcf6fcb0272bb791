"""Erasure (GDPR Art 17): what can go goes now, what a hold keeps is minimised, restricted and
given a purge date, and `purge_kept` releases it once the hold ends.

The customer row itself stays (requests and the audit log refer to its id) with every field no
hold needs set to a neutral value. Requests stay as evidence of what was asked and decided
(kind, status, dates, reference) with the person's own words blanked. Audit entries are never
touched: they name people by id only. Nothing here commits; the caller does.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from portal.models import (
    Customer,
    DataSource,
    Disclosure,
    Invoice,
    MarketingChange,
    MarketingProhibition,
    Order,
    OutboxMessage,
    PrivacyRequest,
    ProcessingFlag,
    Quote,
    RecipientNotice,
    RequestEvent,
    RequestMessage,
    User,
    UserSession,
)
from portal.models.types import utcnow
from portal.services.audit import AUDIT_KEY_INFO, AuditKeyMissing, record_audit
from portal.services.handoffs import record_erasure
from portal.services.holds import ErasureAssessment, Hold, HoldCode, Item, erasure_holds
from portal.services.marketing import normalise_phone, suppress_before_erasure

AUDIT_ACTION = "customer_erased"
HOLD_FLAG = "erasure_hold"
ERASED_DOMAIN = "erased.invalid"
# The Customer columns each item covers; an erased item's columns get a neutral value.
CUSTOMER_FIELDS: dict[Item, tuple[str, ...]] = {
    Item.NAME: ("first_name", "last_name"),
    Item.CONTACT: ("email", "phone"),
    Item.ADDRESS: ("street_address", "postal_code", "city"),
    Item.ORGANISATION: ("organisation", "position", "business_id", "website"),
    Item.BILLING: ("billing_address", "e_invoice_address", "e_invoice_operator"),
    Item.TECHNICAL: ("ip_address", "technical_data"),
}
# Customer columns that stay as they are, and why (tests check every column is in one place).
UNTOUCHED_FIELDS: dict[str, str] = {
    "id": "other rows and the audit log refer to it",
    "customer_number": "the company's own systems erase by it (sync API); a number alone names nobody",
    "country": "a country code alone identifies nobody",
    "language": "the language of the decision letter",
    "relationship_start": "retention is counted from the relationship",
    "relationship_end": "retention is counted from the relationship",
    "is_contact_person": "cleared unless the contact-person hold keeps it",
    "demo": "marks demo data",
    "erased_at": "set by the erasure",
    "purge_on": "set by the erasure",
    "created_at": "row bookkeeping",
    "updated_at": "row bookkeeping",
}
# History rows each item covers: deleted when the item is erased.
HISTORY: dict[Item, type] = {Item.ORDERS: Order, Item.QUOTES: Quote, Item.INVOICES: Invoice,
                             Item.SOURCES: DataSource}
# Keys of a request's details and decision details that are codes, dates or field names, never
# the person's own words; every other string in them is blanked.
CODE_KEYS = frozenset({"field", "scope", "holds_shown", "email_confirmation", "applied", "outcome",
                       "locale", "erasure", "notices", "kind", "method"})


def present_items(customer: Customer, items: tuple[Item, ...]) -> tuple[Item, ...]:
    """Those of `items` the customer really has data in (what an erasure would remove for them)."""
    return tuple(item for item in items
                 if any(getattr(customer, name) for name in CUSTOMER_FIELDS.get(item, ()))
                 or (item in HISTORY and getattr(customer, item.value)))


@dataclass(frozen=True)
class ErasureResult:
    """What an erasure did: the items erased, the holds still in force and the purge date."""

    complete: bool
    erased: tuple[Item, ...]
    kept: tuple[Hold, ...]
    purge_on: date | None

    def as_json(self) -> dict:
        """Codes and dates only: stored with the decision and shown in the decision letter."""
        return {"complete": self.complete, "erased": [str(item) for item in self.erased],
                "kept": [hold.as_json() for hold in self.kept],
                "purge_on": self.purge_on.isoformat() if self.purge_on else None}


def suppression_key(session: Session) -> bytes:
    """The key of marketing suppression hashes, derived from the session's audit key."""
    audit_key = session.info.get(AUDIT_KEY_INFO)
    if audit_key is None:
        raise AuditKeyMissing("this session has no audit key to derive the suppression key from")
    return hmac.new(audit_key.secret, b"portal.marketing_suppression", hashlib.sha256).digest()


def _blank_json(value, key: str | None = None):
    """A JSON value with every string not under a code key blanked."""
    if key in CODE_KEYS:
        return value
    if isinstance(value, dict):
        return {k: _blank_json(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank_json(v) for v in value]
    return "" if isinstance(value, str) else value


def _identifiers(session: Session, customer: Customer) -> tuple[set[str], set[str]]:
    """The person's email addresses, and names and numbers mail might mention (read first)."""
    addresses = {customer.email}
    account = customer.account
    if account is not None:
        addresses.add(account.email)
    for request in _requests(session, customer):
        if request.reply_contact and "@" in request.reply_contact:
            addresses.add(request.reply_contact)
        addresses |= {c.get("new") or "" for c in (request.details or {}).get("changes", [])
                      if c.get("field") == "email"}
    mentions = {customer.phone or "", normalise_phone(customer.phone) or ""}
    if customer.first_name.strip() and customer.last_name.strip():
        mentions.add(customer.full_name)
    addresses = {a.strip().casefold() for a in addresses if a and "@" in a}
    return addresses, {m.strip().casefold() for m in mentions if len(m.strip()) > 3} | addresses


def _requests(session: Session, customer: Customer) -> list[PrivacyRequest]:
    """The customer's requests, oldest first."""
    return list(session.execute(select(PrivacyRequest).where(PrivacyRequest.customer_id == customer.id)
                                .order_by(PrivacyRequest.id)).scalars())


def _close_account(session: Session, customer: Customer) -> None:
    """Delete the log-in account and its sessions; rows that named it keep no link to it."""
    account = session.execute(select(User).where(User.customer_id == customer.id)).scalar_one_or_none()
    if account is None:
        return
    session.execute(delete(UserSession).where(UserSession.user_id == account.id))
    # The database nulls these on PostgreSQL; SQLite does not enforce foreign keys, so say it here.
    for column in (RequestEvent.actor_id, RequestMessage.author_id, MarketingChange.actor_id):
        session.execute(update(column.class_).where(column == account.id).values({column.key: None}))
    for request in session.execute(select(PrivacyRequest).where(or_(
            PrivacyRequest.filed_by_id == account.id, PrivacyRequest.assignee_id == account.id,
            PrivacyRequest.decided_by_id == account.id))).scalars():
        for name in ("filed_by_id", "assignee_id", "decided_by_id"):
            if getattr(request, name) == account.id:
                setattr(request, name, None)
    session.delete(account)
    session.flush()


def _blank_requests(session: Session, customer: Customer, *, complete: bool) -> None:
    """Keep each request's kind, status, dates and reference; blank what the person wrote."""
    requests = _requests(session, customer)
    for request in requests:
        request.details = _blank_json(request.details or {})
        if request.decision_details is not None:
            request.decision_details = _blank_json(request.decision_details)
        request.reply_contact = None
        request.extension_reason = None
        if complete:
            request.decision_reason = None
    ids = [request.id for request in requests]
    if ids:
        session.execute(update(RequestMessage).where(RequestMessage.request_id.in_(ids)).values(body=""))
        if complete:
            session.execute(update(RequestEvent).where(RequestEvent.request_id.in_(ids)).values(note=None))


def _delete_records(session: Session, customer: Customer, erasable: tuple[Item, ...], *,
                    complete: bool) -> None:
    """Delete marketing history, disclosures, flags and the history rows no hold keeps."""
    disclosures = select(Disclosure.id).where(Disclosure.customer_id == customer.id)
    session.execute(update(RecipientNotice).where(RecipientNotice.disclosure_id.in_(disclosures))
                    .values(disclosure_id=None))
    for model in (MarketingChange, MarketingProhibition, Disclosure):
        session.execute(delete(model).where(model.customer_id == customer.id))
    flags = delete(ProcessingFlag).where(ProcessingFlag.customer_id == customer.id)
    if not complete:
        flags = flags.where(ProcessingFlag.kind != HOLD_FLAG)
    session.execute(flags)
    for item in erasable:
        model = HISTORY.get(item)
        if model is not None:
            session.execute(delete(model).where(model.customer_id == customer.id))


def _minimise(customer: Customer, erasable: tuple[Item, ...], holds: tuple[Hold, ...]) -> None:
    """Set every column of the erased items to a neutral value."""
    columns = Customer.__table__.columns
    for item in erasable:
        for name in CUSTOMER_FIELDS.get(item, ()):
            if name == "email":
                value = f"erased-{customer.id}@{ERASED_DOMAIN}"
            else:
                value = None if columns[name].nullable else ""
            setattr(customer, name, value)
    if not any(hold.code == HoldCode.CONTACT_PERSON for hold in holds):
        customer.is_contact_person = False


def _flag_hold(session: Session, customer: Customer, request: PrivacyRequest | None) -> None:
    """Restrict what is kept to the holds' purposes: one active erasure_hold flag."""
    active = session.execute(select(ProcessingFlag.id).where(
        ProcessingFlag.customer_id == customer.id, ProcessingFlag.kind == HOLD_FLAG,
        ProcessingFlag.lifted_at.is_(None))).first()
    if active is None:
        session.add(ProcessingFlag(customer_id=customer.id, kind=HOLD_FLAG, scope="all",
                                   request_id=request.id if request is not None else None))


def _delete_unsent_mail(session: Session, addresses: set[str], mentions: set[str]) -> int:
    """Delete mail not yet sent that goes to the person or names them; return how many."""
    unsent = session.execute(select(OutboxMessage).where(OutboxMessage.status != "sent")).scalars()
    doomed = []
    for message in unsent:
        text = " ".join((message.subject, message.body_text, message.body_html or "")).casefold()
        if message.recipient.strip().casefold() in addresses or any(m in text for m in mentions):
            doomed.append(message.id)
    if doomed:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(doomed)))
    return len(doomed)


def erase_customer(session: Session, customer: Customer, *, actor, today: date,
                   request: PrivacyRequest | None = None) -> ErasureResult:
    """Erase the customer as far as today's holds allow, in the caller's transaction (no commit).

    Run it again later (or let `purge_kept` do so) to release what a hold kept once it ends.
    """
    if request is not None and request.customer_id != customer.id:
        raise ValueError("the request is not this customer's")
    session.execute(select(Customer.id).where(Customer.id == customer.id).with_for_update())
    assessment = erasure_holds(customer, today)
    holds, erasable, complete = assessment.holds, assessment.erasable, assessment.everything_now
    had = present_items(customer, erasable)  # what the person is told was erased: what they had
    addresses, mentions = _identifiers(session, customer)
    suppress_before_erasure(session, customer, suppression_key(session))
    _close_account(session, customer)
    _blank_requests(session, customer, complete=complete)
    _delete_records(session, customer, erasable, complete=complete)
    _minimise(customer, erasable, holds)
    purge_on = max((hold.until for hold in holds if hold.until), default=None)
    customer.erased_at = customer.erased_at or utcnow()
    customer.purge_on = purge_on
    if not complete:
        _flag_hold(session, customer, request)
    _delete_unsent_mail(session, addresses, mentions)
    record_erasure(session, customer, request=request, erased=erasable, kept=holds, purge_on=purge_on,
                   complete=complete)
    record_audit(session, AUDIT_ACTION, actor=actor, actor_kind=None if actor is not None else "system",
                 customer_id=customer.id,
                 details={"reference": request.reference if request is not None else None,
                          "complete": complete, "kept": [str(hold.code) for hold in holds]})
    session.flush()
    session.expire(customer, ["account", "orders", "quotes", "invoices", "sources", "disclosures",
                              "prohibitions", "marketing_changes", "requests", "flags"])
    return ErasureResult(complete=complete, erased=had, kept=holds, purge_on=purge_on)


def has_residue(customer: Customer, assessment: ErasureAssessment) -> bool:
    """True if the customer still has data that no hold keeps any more."""
    neutral = {None, "", f"erased-{customer.id}@{ERASED_DOMAIN}"}
    erasable = assessment.erasable
    if any(getattr(customer, name) not in neutral
           for item in erasable for name in CUSTOMER_FIELDS.get(item, ())):
        return True
    if any(getattr(customer, item.value) for item in erasable if item in HISTORY):
        return True
    contact_hold = any(hold.code == HoldCode.CONTACT_PERSON for hold in assessment.holds)
    if customer.is_contact_person and not contact_hold:
        return True
    return assessment.everything_now and bool(customer.flags)


def purge_kept(session: Session, *, today: date, actor=None) -> list[int]:
    """Erase what erased customers' holds no longer keep; return the ids purged (no commit).

    Looks at every erased customer whose data is still held (an erasure_hold flag) or whose
    purge date has come, so data is released as soon as any of its holds ends.
    """
    held = exists().where(ProcessingFlag.customer_id == Customer.id, ProcessingFlag.kind == HOLD_FLAG,
                          ProcessingFlag.lifted_at.is_(None))
    candidates = session.execute(select(Customer).where(
        Customer.erased_at.is_not(None), or_(held, Customer.purge_on <= today))
        .order_by(Customer.id)).scalars().all()
    purged = []
    for customer in candidates:
        assessment = erasure_holds(customer, today)
        if has_residue(customer, assessment):
            erase_customer(session, customer, actor=actor, today=today)
            purged.append(customer.id)
    return purged
