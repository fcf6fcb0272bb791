"""What an approved request does to the register: corrections applied, recipients told (Art 19),
erasure carried out. Called by portal.services.decisions inside its transaction (no commit here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Customer, PrivacyRequest, RecipientNotice, User
from portal.services.audit import record_audit
from portal.services.handoffs import record_handoff
from portal.services.outbox import queue_email
from portal.services.refusals import InvalidValue
from portal.services.values import normalise_change

# Recipients are companies the controller deals with in Finnish.
RECIPIENT_LOCALE = "fi"


def email_in_use(session: Session, address: str, customer: Customer) -> bool:
    """True if another customer or another account already uses `address`."""
    lowered = address.lower()
    other_customer = session.execute(select(Customer.id).where(
        func.lower(Customer.email) == lowered, Customer.id != customer.id)).first()
    other_user = session.execute(select(User.id).where(
        func.lower(User.email) == lowered, User.customer_id.is_distinct_from(customer.id))).first()
    return other_customer is not None or other_user is not None


def apply_correction(session: Session, request: PrivacyRequest, customer: Customer, actor) -> list[str]:
    """Write a correction's new values, checked again now; returns the fields changed.

    A value that is already in place is skipped. A new email address must have been confirmed
    and must not belong to anyone else; it becomes the log-in address too.
    """
    applied = []
    for change in request.details.get("changes", []):
        name = change["field"]
        try:
            value = normalise_change(customer, name, change["new"])
        except InvalidValue as problem:
            if problem.code == "unchanged":
                continue
            raise
        if name == "email":
            if not (request.details.get("email_confirmation") or {}).get("confirmed_at"):
                raise InvalidValue("email_unconfirmed", "email")
            if email_in_use(session, value, customer):
                raise InvalidValue("email_taken", "email")
            if customer.account is not None:
                customer.account.email = value
        setattr(customer, name, value)
        applied.append(name)
    record_audit(session, "correction_applied", actor=actor, customer_id=customer.id,
                 details={"reference": request.reference, "fields": applied})
    if applied:  # the company's systems correct their copy too (sync API)
        changes = [{"field": name, "new": getattr(customer, name)} for name in applied]
        record_handoff(session, "correction", customer, request=request, payload={"changes": changes})
    return applied


@dataclass(frozen=True)
class Recipients:
    """Who received the customer's data, and how they know the person: read before any change."""

    disclosures: tuple[tuple[int, str, str | None], ...]  # (id, recipient, address)
    person: dict = field(repr=False)  # name and email as the recipients have them


def recipients_of(customer: Customer) -> Recipients:
    """The disclosure log's recipients and the person as they know them (before an erasure)."""
    return Recipients(tuple((d.id, d.recipient, d.recipient_email) for d in customer.disclosures),
                      {"name": customer.full_name, "email": customer.email})


def notify_recipients(session: Session, request: PrivacyRequest, recipients: Recipients, what: str,
                      changes: list[dict] | None = None) -> list[dict]:
    """Tell every recipient in the disclosure log about the decision (Art 19); returns what was done.

    A recipient with an address on file is emailed now; one without is recorded for staff to
    tell by post or phone.
    """
    done = []
    for disclosure_id, recipient, address in recipients.disclosures:
        method = "email" if address else "manual"
        # After an erasure the disclosure rows are gone; the notice keeps the recipient's name.
        kept_id = None if what == "erasure" else disclosure_id
        session.add(RecipientNotice(request=request, disclosure_id=kept_id, recipient=recipient,
                                    method=method))
        if address:
            queue_email(session, recipient=address, template="recipient_notice", locale=RECIPIENT_LOCALE,
                        privacy_request=request, person=recipients.person, recipient_name=recipient,
                        what=what, changes=changes or [])
        record_audit(session, "recipient_notified", actor=None, actor_kind="system",
                     customer_id=request.customer_id,
                     details={"reference": request.reference, "method": method,
                              "disclosure_id": disclosure_id})
        done.append({"recipient": recipient, "method": method})
    return done


def erase(session: Session, customer: Customer, *, actor, request: PrivacyRequest, today: date) -> dict:
    """Carry out an approved erasure; returns the result as stored with the decision."""
    from portal.services.erasure import erase_customer

    return erase_customer(session, customer, actor=actor, request=request, today=today).as_json()
