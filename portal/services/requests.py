"""Data subject requests: filing, cancelling, the message thread, and telling the customer.

Every function owns its transaction: the request row, its status event, its audit entry and its
outgoing email (through the outbox) commit together or not at all. Status changes always append
a RequestEvent. Values typed by people are checked here too, not only in the forms, so requests
filed by staff or the API obey the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from portal.models import Customer, PrivacyRequest, RequestEvent, RequestMessage
from portal.models.requests import OPEN_STATUSES, REQUEST_KINDS
from portal.models.types import utcnow
from portal.services.audit import record_audit
from portal.services.email_confirmation import confirmation_token
from portal.services.holds import erasure_holds
from portal.services.invitations import Signer
from portal.services.outbox import queue_email
from portal.services.refusals import (  # noqa: F401 (the views catch them from here)
    DuplicateRequest,
    InvalidValue,
    NotCancellable,
    RequestChanged,
    RequestClosed,
    RequestRefused,
)
from portal.services.values import SCOPES, clean_text, normalise_change, reply_email

HELSINKI = ZoneInfo("Europe/Helsinki")


def add_month(day: date, months: int = 1) -> date:
    """The same day `months` calendar months later, or that month's last day (31 Jan -> 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def helsinki_date(moment: datetime) -> date:
    """The calendar date of `moment` in Finland."""
    return moment.astimezone(HELSINKI).date()


@dataclass(frozen=True)
class FieldChange:
    """One field to correct and its new value."""

    field: str
    new_value: str = field(repr=False)


@dataclass(frozen=True)
class Correction:
    """Art 16: which data, the new values, and on what basis."""

    changes: tuple[FieldChange, ...]
    reason: str = field(repr=False)


@dataclass(frozen=True)
class Erasure:
    """Art 17: the reason is optional."""

    reason: str = field(default="", repr=False)


@dataclass(frozen=True)
class Scoped:
    """Art 18 restriction or Art 21(1) objection: what it covers and why."""

    scope: str
    reason: str = field(repr=False)
    purpose: str = field(default="", repr=False)  # the purpose described, when scope is "purpose"


def _details_json(kind: str, details, customer: Customer, today: date) -> dict:
    """The request's details as stored: what was asked, without anything not typed by the person."""
    if kind == "correction" and isinstance(details, Correction):
        if not details.changes:
            raise InvalidValue("no_fields")
        changes = [{"field": c.field, "new": normalise_change(customer, c.field, c.new_value)}
                   for c in details.changes]
        if len({c["field"] for c in changes}) != len(changes):
            raise InvalidValue("repeated_field")
        payload = {"changes": changes, "reason": clean_text(details.reason, required=True)}
        if any(c["field"] == "email" for c in changes):
            payload["email_confirmation"] = {"confirmed_at": None}
        return payload
    if kind == "erasure" and isinstance(details, Erasure):
        holds = erasure_holds(customer, today)
        return {"reason": clean_text(details.reason, required=False),
                "holds_shown": [hold.as_json() for hold in holds.holds]}
    if kind in ("restriction", "objection") and isinstance(details, Scoped):
        if details.scope not in SCOPES:
            raise InvalidValue("scope", "scope")
        purpose = clean_text(details.purpose, required=details.scope == "purpose", field_name="purpose")
        return {"scope": details.scope, "purpose": purpose if details.scope == "purpose" else "",
                "reason": clean_text(details.reason, required=True, field_name="reason")}
    raise ValueError(f"details of type {type(details).__name__} do not fit a {kind} request")


def changed_fields(request: PrivacyRequest) -> tuple[str, ...]:
    """The fields a correction request asks to change (empty for other kinds)."""
    return tuple(change["field"] for change in (request.details or {}).get("changes", []))


def _refuse_duplicate(session: Session, customer: Customer, kind: str, payload: dict) -> None:
    """Raise DuplicateRequest if an open request of `kind` already covers the same thing."""
    wanted = {change["field"] for change in payload.get("changes", [])}
    open_requests = session.execute(
        select(PrivacyRequest).where(PrivacyRequest.customer_id == customer.id,
                                     PrivacyRequest.kind == kind,
                                     PrivacyRequest.status.in_(OPEN_STATUSES))
        .order_by(PrivacyRequest.id)).scalars()
    for existing in open_requests:
        overlap = tuple(f for f in changed_fields(existing) if f in wanted)
        if kind != "correction" or overlap:
            raise DuplicateRequest(existing, overlap)


def _actor_kind(actor) -> str:
    if actor is None:
        return "system"
    return "staff" if actor.is_staff else "customer"


def set_status(request: PrivacyRequest, status: str, actor, *, at: datetime | None = None,
               note: str | None = None) -> RequestEvent:
    """Set the status and append it to the history: the one way to change a status (no commit)."""
    request.status = status
    event = RequestEvent(status=status, actor_kind=_actor_kind(actor), actor_id=getattr(actor, "id", None),
                         at=at or utcnow(), note=note)
    request.events.append(event)
    return event


def submit_request(session: Session, customer: Customer, kind: str, details, *, reply_contact: str | None,
                   actor, channel: str = "portal", received_at: datetime | None = None,
                   signer: Signer | None = None) -> PrivacyRequest:
    """File a request with its reference, due date, first event, audit entry and emails; commits.

    A new email address in a correction is sent a confirmation link (needs `signer`).
    Raises InvalidValue or DuplicateRequest, with nothing saved.
    """
    if kind not in REQUEST_KINDS:
        raise ValueError(f"unknown request kind {kind!r}")
    received_at = received_at or utcnow()
    received_on = helsinki_date(received_at)
    payload = _details_json(kind, details, customer, received_on)
    new_email = next((c["new"] for c in payload.get("changes", []) if c["field"] == "email"), None)
    if new_email and signer is None:
        raise ValueError("a new email address needs a signer for its confirmation link")
    if channel == "portal" or (reply_contact and "@" in reply_contact):
        reply = reply_email(reply_contact)
    else:
        reply = clean_text(reply_contact, required=False, max_length=255, field_name="reply_contact") or None
    # One filer at a time per customer (PostgreSQL), so a double click cannot file two.
    session.execute(select(Customer.id).where(Customer.id == customer.id).with_for_update())
    _refuse_duplicate(session, customer, kind, payload)
    request = PrivacyRequest(customer=customer, kind=kind, channel=channel, received_at=received_at,
                             due_on=add_month(received_on), details=payload, reply_contact=reply,
                             filed_by_id=getattr(actor, "id", None))
    set_status(request, "pending", actor, at=received_at)
    session.add(request)
    session.flush()
    request.reference = f"PR-{received_on.year}-{request.id:06d}"
    record_audit(session, "request_submitted", actor=actor, actor_kind=None if actor else "system",
                 customer_id=customer.id, details={"reference": request.reference, "kind": kind})
    notify(session, request, "request_received")
    if new_email:
        queue_email(session, recipient=new_email, template="confirm_email", locale=_locale(request),
                    customer=customer, privacy_request=request,
                    token=confirmation_token(signer, request, new_email),
                    valid_days=max(1, signer.max_age_seconds // 86400))
    session.commit()
    return request


def _commit_or_changed(session: Session) -> None:
    """Commit; if someone else changed the request meanwhile, roll back and say so."""
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise RequestChanged() from None


def cancel_request(session: Session, request: PrivacyRequest, *, actor) -> None:
    """Cancel a request still waiting for handling: event, audit entry and email; commits."""
    if request.status != "pending":
        raise NotCancellable()
    try:
        set_status(request, "cancelled", actor)
        record_audit(session, "request_cancelled", actor=actor, customer_id=request.customer_id,
                     details={"reference": request.reference, "kind": request.kind})
    except StaleDataError:
        session.rollback()
        raise RequestChanged() from None
    notify(session, request, "request_cancelled")
    _commit_or_changed(session)


def add_message(session: Session, request: PrivacyRequest, author_kind: str, body: str,
                actor) -> RequestMessage:
    """Add a message to an open request's thread; a staff message is emailed to the customer. Commits."""
    if not request.is_open:
        raise RequestClosed()
    if author_kind not in ("customer", "staff"):
        raise ValueError(f"unknown author kind {author_kind!r}")
    message = RequestMessage(author_kind=author_kind, author_id=getattr(actor, "id", None),
                             body=clean_text(body, required=True, field_name="body"), at=utcnow())
    request.messages.append(message)
    record_audit(session, "request_message_added", actor=actor, customer_id=request.customer_id,
                 details={"reference": request.reference, "author_kind": author_kind})
    if author_kind == "staff":
        notify(session, request, "request_clarification")
    session.commit()
    return message


def _locale(request: PrivacyRequest) -> str:
    """The customer's saved language: the account's, else the register entry's."""
    customer = request.customer
    if customer is None:
        return "fi"
    if customer.account is not None and customer.account.locale in ("fi", "en"):
        return customer.account.locale
    return customer.language


def reply_address(request: PrivacyRequest) -> str | None:
    """Where email about the request goes: the reply contact if it is an address, else the customer's."""
    if request.reply_contact and "@" in request.reply_contact:
        return request.reply_contact
    customer = request.customer
    if customer is None:
        return None
    return customer.account.email if customer.account is not None else customer.email


def notify(session: Session, request: PrivacyRequest, template: str, *, recipient: str | None = None,
           locale: str | None = None, **extra):
    """Queue `emails/<template>` about `request` to the customer in their language (no commit).

    Templates get `privacy_request`, `customer` and `extra` (which may replace `customer`).
    `recipient` and `locale` override the customer's (an erased person's, taken before the
    erasure). Returns the outbox row, or None when there is nowhere to send it.
    """
    recipient = recipient or reply_address(request)
    if recipient is None:
        return None
    context = {"customer": request.customer, **extra}
    return queue_email(session, recipient=recipient, template=template, locale=locale or _locale(request),
                       privacy_request=request, **context)
