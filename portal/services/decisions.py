"""Staff decisions on requests: approve, deny, extend; internal notes. One transaction each.

A decision locks the request row (PostgreSQL) and checks the version the reviewer saw, so of
two reviewers deciding at the same moment exactly one wins; the other gets RequestChanged. The
version column catches the same race on SQLite. Every decision writes its status event, audit
entry, effects (the correction applied, the erasure carried out, the flag set), Art 19 notices
and the customer's email together, or nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from portal.models import PrivacyRequest, ProcessingFlag, RequestMessage, User
from portal.models.customers import MARKETING_CHANNELS
from portal.models.types import utcnow
from portal.services import effects
from portal.services.audit import record_audit
from portal.services.handoffs import record_handoff
from portal.services.marketing import set_prohibitions
from portal.services.refusals import InvalidValue, RequestChanged, RequestClosed, RequestRefused
from portal.services.requests import add_month, helsinki_date, notify, reply_address, set_status
from portal.services.values import clean_text

EXTENSION_MONTHS = (1, 2)


class CannotExtend(RequestRefused):
    """A request is extended once, by one or two months, while its first month runs."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Reviewer:
    """Who decides, and the request version their page showed."""

    staff: User
    version: int


def _locked(session: Session, request: PrivacyRequest, version: int) -> PrivacyRequest:
    """The request re-read under a row lock; refused if it changed since the reviewer saw it."""
    fresh = session.execute(
        select(PrivacyRequest).where(PrivacyRequest.id == request.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()
    if fresh.version != version:
        raise RequestChanged()
    if not fresh.is_open:
        raise RequestClosed()
    return fresh


def _commit(session: Session) -> None:
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise RequestChanged() from None


def _customer_locale(request: PrivacyRequest) -> str:
    customer = request.customer
    if customer is not None and customer.account is not None and customer.account.locale in ("fi", "en"):
        return customer.account.locale
    return customer.language if customer is not None else "fi"


def _record_decision(session: Session, request: PrivacyRequest, staff: User, status: str,
                     reason: str, details: dict) -> None:
    now = utcnow()
    if request.status == "pending":
        set_status(request, "in_review", staff, at=now)
    set_status(request, status, staff, at=now)
    request.decided_at, request.decided_by_id = now, staff.id
    request.decision_reason = reason or None
    request.decision_details = {"outcome": status, **details}
    if request.assignee_id is None:
        request.assignee_id = staff.id
    record_audit(session, "request_decided", actor=staff, customer_id=request.customer_id,
                 details={"reference": request.reference, "kind": request.kind, "outcome": status})


def approve(session: Session, request: PrivacyRequest, reviewer: Reviewer, *, reason: str = "",
            today: date | None = None) -> PrivacyRequest:
    """Approve and carry the request out; commits. Refusals leave everything as it was."""
    staff = reviewer.staff
    try:
        request = _locked(session, request, reviewer.version)
        reason = clean_text(reason, required=False, field_name="reason")
        today = today or helsinki_date(utcnow())
        locale = _customer_locale(request)
        address = reply_address(request)  # read before an erasure removes it
        status, details = _carry_out(session, request, staff, today)
        _record_decision(session, request, staff, status, reason, {"locale": locale, **details})
        if request.kind == "erasure":
            notify(session, request, "request_decided", recipient=address, locale=locale, customer=None,
                   erased=True)
        else:
            notify(session, request, "request_decided")
    except (RequestRefused, StaleDataError):
        session.rollback()
        raise
    _commit(session)
    return request


def _carry_out(session: Session, request: PrivacyRequest, staff: User, today: date) -> tuple[str, dict]:
    """The effect of an approval by kind: (status, decision details)."""
    customer = request.customer
    if customer is None or customer.erased_at is not None and request.kind != "erasure":
        raise RequestRefused("customer_gone")
    recipients = effects.recipients_of(customer)
    if request.kind == "correction":
        applied = effects.apply_correction(session, request, customer, staff)
        changes = [c for c in request.details.get("changes", []) if c["field"] in applied]
        notices = effects.notify_recipients(session, request, recipients, "correction", changes)
        return "approved", {"applied": applied, "notices": notices}
    if request.kind == "erasure":
        for other in customer.requests:  # nothing is left for the person's other requests to act on
            if other.id != request.id and other.is_open:
                set_status(other, "cancelled", staff, note="erased")
        result = effects.erase(session, customer, actor=staff, request=request, today=today)
        notices = effects.notify_recipients(session, request, recipients, "erasure")
        status = "approved" if result["complete"] else "partially_approved"
        return status, {"erasure": result, "notices": notices}
    scope, purpose = request.details.get("scope", "all"), request.details.get("purpose", "")
    session.add(ProcessingFlag(customer_id=customer.id, kind=request.kind, scope=scope,
                               purpose=purpose or None, request_id=request.id))
    record_handoff(session, request.kind, customer, request=request,
                   payload={"scope": scope, "purpose": purpose or None})
    if request.kind == "objection" and scope == "marketing":
        set_prohibitions(session, customer, set(MARKETING_CHANNELS), changed_by="staff", actor=staff)
    notices = effects.notify_recipients(session, request, recipients, request.kind)
    return "approved", {"flag": {"scope": scope, "purpose": purpose}, "notices": notices}


def deny(session: Session, request: PrivacyRequest, reviewer: Reviewer, *, reason: str) -> PrivacyRequest:
    """Deny with the written reasons the customer's letter carries; commits."""
    staff = reviewer.staff
    try:
        request = _locked(session, request, reviewer.version)
        reason = clean_text(reason, required=True, field_name="reason")
        _record_decision(session, request, staff, "denied", reason, {"locale": _customer_locale(request)})
        notify(session, request, "request_decided")
    except (RequestRefused, StaleDataError):
        session.rollback()
        raise
    _commit(session)
    return request


def extend(session: Session, request: PrivacyRequest, reviewer: Reviewer, *, months: int, reason: str,
           today: date | None = None) -> PrivacyRequest:
    """Extend the deadline once by one or two months, within the first month; the customer is told why."""
    try:
        request = _locked(session, request, reviewer.version)
        today = today or helsinki_date(utcnow())
        if request.extended_due_on is not None:
            raise CannotExtend("already_extended")
        if today > request.due_on:
            raise CannotExtend("first_month_over")
        if months not in EXTENSION_MONTHS:
            raise InvalidValue("months", "months")
        reason = clean_text(reason, required=True, field_name="extension_reason")
        request.extend(add_month(request.due_on, months), reason)
        if request.status == "pending":
            set_status(request, "in_review", reviewer.staff)
        record_audit(session, "request_extended", actor=reviewer.staff, customer_id=request.customer_id,
                     details={"reference": request.reference, "months": months})
        notify(session, request, "request_extended")
    except (RequestRefused, StaleDataError):
        session.rollback()
        raise
    _commit(session)
    return request


def add_note(session: Session, request: PrivacyRequest, staff: User, body: str) -> RequestMessage:
    """An internal note on the request: staff see it; the customer's download includes it."""
    note = RequestMessage(author_kind="staff", author_id=staff.id, internal=True, at=utcnow(),
                          body=clean_text(body, required=True, field_name="note"))
    request.messages.append(note)
    record_audit(session, "request_note_added", actor=staff, customer_id=request.customer_id,
                 details={"reference": request.reference})
    _commit(session)
    return note
