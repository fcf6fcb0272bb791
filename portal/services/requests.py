"""Data subject requests: filing, cancelling, the message thread, and telling the customer.

Every function owns its transaction: the request row, its status event, its audit entry and its
outgoing email (through the outbox) commit together or not at all. Status changes always append
a RequestEvent. Values typed by people are checked here too, not only in the forms, so requests
filed by staff or the API obey the same rules.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from stdnum import iban
from stdnum.exceptions import ValidationError
from stdnum.fi import ytunnus

from portal.models import Customer, PrivacyRequest, RequestEvent, RequestMessage
from portal.models.requests import OPEN_STATUSES, REQUEST_KINDS
from portal.models.types import utcnow
from portal.services.audit import record_audit
from portal.services.holds import erasure_holds
from portal.services.invitations import Signer
from portal.services.outbox import queue_email

HELSINKI = ZoneInfo("Europe/Helsinki")
# The Customer fields a customer may ask to have corrected, and their column lengths.
CORRECTABLE_FIELDS: dict[str, int] = {
    "first_name": 100, "last_name": 100, "organisation": 200, "position": 120,
    "business_id": 9, "email": 255, "phone": 32, "street_address": 200, "postal_code": 10,
    "city": 100, "website": 255, "e_invoice_address": 64,
}
REQUIRED_FIELDS = frozenset({"first_name", "last_name", "email"})
SCOPES = ("all", "marketing", "purpose")  # what a restriction or objection covers
TEXT_MAX = 4000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONFIRM_SALT = "portal-confirm-email"


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


class RequestRefused(Exception):
    """The request cannot be filed or changed; `code` says why (the view words it)."""

    code = "refused"


class InvalidValue(RequestRefused, ValueError):
    """A typed value is not acceptable; `field` names it when there is one."""

    def __init__(self, code: str, field_name: str | None = None):
        super().__init__(code)
        self.code, self.field = code, field_name


class DuplicateRequest(RequestRefused):
    """An open request of the same kind about the same thing exists."""

    code = "duplicate"

    def __init__(self, existing: PrivacyRequest, fields: tuple[str, ...] = ()):
        super().__init__(existing.reference)
        self.reference, self.fields = existing.reference, fields


class NotCancellable(RequestRefused):
    """Only a request still waiting for handling can be cancelled."""

    code = "not_cancellable"


class RequestClosed(RequestRefused):
    """The request has been decided or cancelled: its thread is closed."""

    code = "closed"


class RequestChanged(RequestRefused):
    """Someone else changed the request at the same moment; nothing was saved."""

    code = "changed"


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


def clean_text(value: str | None, *, required: bool, max_length: int = TEXT_MAX,
               field_name: str | None = None) -> str:
    """Free text trimmed, with newlines normalised; control characters and overlong text refused."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text and required:
        raise InvalidValue("required", field_name)
    if _CONTROL.search(text):
        raise InvalidValue("control_characters", field_name)
    if len(text) > max_length:
        raise InvalidValue("too_long", field_name)
    return text


def _email(value: str, field_name: str = "email") -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidValue("email", field_name) from None


def reply_email(value: str | None) -> str:
    """The address for replies, normalised; InvalidValue(code, "reply_contact") if it is not one."""
    text = clean_text(value, required=True, max_length=255, field_name="reply_contact")
    return _email(text, "reply_contact")


def _phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "FI")
    except phonenumbers.NumberParseException:
        raise InvalidValue("phone", "phone") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue("phone", "phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _business_id(value: str) -> str:
    try:
        return ytunnus.format(ytunnus.validate(value))
    except ValidationError:
        raise InvalidValue("business_id", "business_id") from None


def _postal_code(value: str, country: str) -> str:
    compact = value.replace(" ", "")
    if country == "FI" and not re.fullmatch(r"[0-9]{5}", compact):
        raise InvalidValue("postal_code", "postal_code")
    if not re.fullmatch(r"[0-9A-Za-z -]{2,10}", value):
        raise InvalidValue("postal_code", "postal_code")
    return compact if country == "FI" else value.upper()


def _website(value: str) -> str:
    url = value if re.match(r"https?://", value, re.IGNORECASE) else "https://" + value
    if not re.fullmatch(r"https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]{1,5})?(/[^\s]*)?", url,
                        re.IGNORECASE):
        raise InvalidValue("website", "website")
    return url


def _e_invoice_address(value: str) -> str:
    compact = re.sub(r"[\s-]", "", value).upper()
    ovt = re.fullmatch(r"0037([0-9]{8})[0-9A-Z]{0,5}", compact)
    if (ovt and ytunnus.is_valid(ovt.group(1))) or iban.is_valid(compact):
        return compact
    raise InvalidValue("e_invoice_address", "e_invoice_address")


_NORMALISERS = {"email": _email, "phone": _phone, "business_id": _business_id,
                "website": _website, "e_invoice_address": _e_invoice_address}


def normalise_value(name: str, value: str | None, *, country: str = "FI") -> str:
    """The value as it would be stored in field `name`; InvalidValue(code, name) if it cannot be."""
    if name not in CORRECTABLE_FIELDS:
        raise InvalidValue("unknown_field", name)
    text = clean_text(value, required=True, max_length=CORRECTABLE_FIELDS[name], field_name=name)
    if "\n" in text:
        raise InvalidValue("control_characters", name)
    if name == "postal_code":
        return _postal_code(text, country)
    normaliser = _NORMALISERS.get(name)
    return normaliser(text) if normaliser else text


def normalise_change(customer: Customer, name: str, value: str | None) -> str:
    """A correction's new value as stored; refused if invalid or the same as the value held now."""
    country = customer.country or "FI"
    new = normalise_value(name, value, country=country)
    current = getattr(customer, name)
    if current:
        try:
            current = normalise_value(name, str(current), country=country)
        except InvalidValue:
            current = str(current)
        if current.casefold() == new.casefold():
            raise InvalidValue("unchanged", name)
    return new


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


def notify(session: Session, request: PrivacyRequest, template: str, **extra):
    """Queue `emails/<template>` about `request` to the customer in their language (no commit).

    Templates get `privacy_request`, `customer` and `extra`. Returns the outbox row, or None
    when there is nowhere to send it.
    """
    recipient = reply_address(request)
    if recipient is None:
        return None
    return queue_email(session, recipient=recipient, template=template, locale=_locale(request),
                       privacy_request=request, customer=request.customer, **extra)


def _digest(address: str) -> str:
    return hashlib.sha256(address.lower().encode()).hexdigest()[:16]


def confirmation_token(signer: Signer, request: PrivacyRequest, address: str) -> str:
    """A signed, expiring token confirming that `address` (a correction's new email) is reachable."""
    serializer = URLSafeTimedSerializer(signer.secret_key, salt=_CONFIRM_SALT)
    return serializer.dumps([request.id, _digest(address)])


class Confirmed(StrEnum):
    """What opening an email-confirmation link did."""

    CONFIRMED = "confirmed"
    ALREADY = "already"
    EXPIRED = "expired"
    INVALID = "invalid"
    CLOSED = "closed"


def _new_email(request: PrivacyRequest | None) -> str | None:
    """The new email address a correction asks for, if it asks for one."""
    changes = (request.details or {}).get("changes", []) if request is not None else []
    return next((c["new"] for c in changes if c["field"] == "email"), None)


def confirm_new_email(session: Session, signer: Signer, token: str, *, actor=None) -> Confirmed:
    """Mark a correction's new email address confirmed, once; audited and committed."""
    serializer = URLSafeTimedSerializer(signer.secret_key, salt=_CONFIRM_SALT)
    try:
        request_id, digest = serializer.loads(token, max_age=signer.max_age_seconds)
        request_id = int(request_id)
    except SignatureExpired:
        return Confirmed.EXPIRED
    except (BadSignature, ValueError, TypeError):
        return Confirmed.INVALID
    for attempt in (1, 2):  # a reviewer saving the request at the same moment: read it again
        request = session.get(PrivacyRequest, request_id)
        new = _new_email(request)
        if new is None or _digest(new) != digest:
            return Confirmed.INVALID
        if request.details.get("email_confirmation", {}).get("confirmed_at"):
            return Confirmed.ALREADY
        if not request.is_open:
            return Confirmed.CLOSED
        request.details = {**request.details, "email_confirmation": {"confirmed_at": utcnow().isoformat()}}
        try:
            record_audit(session, "request_email_confirmed", actor=actor,
                         customer_id=request.customer_id, details={"reference": request.reference})
            session.commit()
        except StaleDataError:
            session.rollback()
            if attempt == 2:
                raise RequestChanged() from None
            continue
        return Confirmed.CONFIRMED
    raise AssertionError("unreachable")
