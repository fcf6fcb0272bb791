"""Staff look-ups of a customer's data: finding the customer, recording each look-up and its
purpose, and reading the look-ups back for the customer (when and why) and for staff (also who).

Every opening of a customer's data by staff writes one `customer_viewed` audit entry (DESIGN §7,
CJEU C-579/21). Its `purpose` column holds a code: "request:PR-2026-000042", "reason:billing" or
"other"; its details hold {"reason": code, "reference": ..., "note": ...}. A typed note is shown
to the customer as the purpose, so it must not hold anyone's personal data (the form says so).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from portal.models import AuditEvent, Customer, PrivacyRequest, User, UserSession
from portal.models.requests import OPEN_STATUSES
from portal.models.types import utcnow
from portal.services.audit import record_audit
from portal.services.refusals import InvalidValue
from portal.services.values import clean_text

CUSTOMER_VIEWED = "customer_viewed"
LOOKUP_REASONS = ("customer_contact", "request", "billing", "correction_check", "other")
NOTE_MAX = 200
VIEW_WINDOW = timedelta(minutes=15)  # how long one stated purpose keeps the data open
MY_DATA_SHOWN = 20
STAFF_SHOWN = 50
SEARCH_MIN = 3
SEARCH_MAX = 100
MATCHES_SHOWN = 20
_REFERENCE = re.compile(r"[A-Z0-9-]{1,20}")


@dataclass(frozen=True)
class Lookup:
    """One look-up as the customer sees it: when and why, never who."""

    at: datetime
    reason: str
    reference: str | None = None
    note: str = field(default="", repr=False)

    @property
    def purpose(self) -> str:
        """The purpose code as the audit entry stores it."""
        return purpose_code(self.reason, self.reference)


@dataclass(frozen=True)
class StaffLookup(Lookup):
    """A look-up as staff see it: also who looked (staff may know; the customer is not told)."""

    staff: str = field(default="", repr=False)


@dataclass(frozen=True)
class RecentLookups:
    """The newest look-ups, and whether there are older ones not shown."""

    items: tuple[Lookup, ...]
    more: bool


@dataclass(frozen=True)
class Match:
    """A customer found by a staff search: only what tells people apart."""

    id: int
    name: str = field(repr=False)
    email: str = field(repr=False)
    relationship_start: date
    relationship_end: date | None
    erased: bool


@dataclass(frozen=True)
class Matches:
    """A search's matches, and whether more matched than are shown."""

    customers: tuple[Match, ...]
    more: bool


def purpose_code(reason: str, reference: str | None = None) -> str:
    """The audit entry's purpose: "request:<reference>", "reason:<code>" or "other"."""
    if reason == "request" and reference:
        return f"request:{reference}"
    return "other" if reason == "other" else f"reason:{reason}"


def lookup_from(at: datetime, purpose: str | None, details: str | None) -> Lookup:
    """A look-up from its audit entry's columns; an entry without a known reason reads as 'other'."""
    try:
        values = json.loads(details or "{}")
    except ValueError:
        values = {}
    values = values if isinstance(values, dict) else {}
    reason = values.get("reason")
    if reason not in LOOKUP_REASONS:  # written before purposes were codes: the text is the purpose
        return Lookup(at, "other", None, purpose or "")
    reference = values.get("reference") if reason == "request" else None
    return Lookup(at, reason, reference or None, str(values.get("note") or ""))


def is_lookup_of(customer_id: int) -> ColumnElement[bool]:
    """The audit entries that are staff look-ups of this customer (also used by the export)."""
    return ((AuditEvent.customer_id == customer_id) & (AuditEvent.action == CUSTOMER_VIEWED)
            & (AuditEvent.actor_kind == "staff"))


def _own_reference(session: Session, customer_id: int, reference: str | None) -> str:
    """`reference` if it names one of this customer's requests; InvalidValue otherwise."""
    text = (reference or "").strip()
    found = None
    if _REFERENCE.fullmatch(text):
        found = session.execute(select(PrivacyRequest.reference).where(
            PrivacyRequest.reference == text, PrivacyRequest.customer_id == customer_id)).scalar_one_or_none()
    if found is None:
        raise InvalidValue("lookup_reference", "request_reference")
    return found


def record_lookup(session: Session, staff, customer_id: int, *, reason: str,
                  request_reference: str | None = None, note: str = "") -> AuditEvent:
    """Record that `staff` opened the customer's data, and why (no commit).

    `reason` is one of LOOKUP_REASONS; "request" needs one of the customer's request references,
    "other" a note. InvalidValue(code, field) names what is wrong; nothing is written then.
    """
    if reason not in LOOKUP_REASONS:
        raise InvalidValue("lookup_reason", "reason")
    text = " ".join(clean_text(note, required=reason == "other", max_length=NOTE_MAX,
                               field_name="note").split())
    reference = _own_reference(session, customer_id, request_reference) if reason == "request" else None
    details: dict = {"reason": reason, "reference": reference}
    if text:
        details["note"] = text
    return record_audit(session, CUSTOMER_VIEWED, actor=staff, customer_id=customer_id,
                        purpose=purpose_code(reason, reference), details=details)


def _lookup_rows(session: Session, customer_id: int, limit: int | None):
    query = (select(AuditEvent.occurred_at, AuditEvent.purpose, AuditEvent.details, User.email)
             .outerjoin(User, User.id == AuditEvent.actor_id)
             .where(is_lookup_of(customer_id)).order_by(AuditEvent.id.desc()))
    return session.execute(query if limit is None else query.limit(limit)).all()


def lookups_of(session: Session, customer_id: int, *, limit: int | None = None) -> list[Lookup]:
    """The customer's look-ups, newest first: date and purpose only, never the staff member (no commit)."""
    return [lookup_from(at, purpose, details) for at, purpose, details, _ in
            _lookup_rows(session, customer_id, limit)]


def recent_lookups(session: Session, customer_id: int, *, shown: int = MY_DATA_SHOWN) -> RecentLookups:
    """The newest `shown` look-ups for 'My data', and whether there are more (no commit)."""
    found = lookups_of(session, customer_id, limit=shown + 1)
    return RecentLookups(tuple(found[:shown]), len(found) > shown)


def staff_lookups_of(session: Session, customer_id: int, *, limit: int = STAFF_SHOWN) -> list[StaffLookup]:
    """The customer's look-ups for staff, newest first, with who looked (no commit)."""
    rows = []
    for at, purpose, details, email in _lookup_rows(session, customer_id, limit):
        seen = lookup_from(at, purpose, details)
        rows.append(StaffLookup(seen.at, seen.reason, seen.reference, seen.note, staff=email or ""))
    return rows


def current_lookup(session: Session, staff_id: int, customer_id: int, event_id: object, *,
                   now: datetime | None = None) -> Lookup | None:
    """The look-up `event_id` if this staff member made it of this customer under VIEW_WINDOW ago."""
    if not isinstance(event_id, int) or isinstance(event_id, bool):
        return None
    event = session.get(AuditEvent, event_id)
    if (event is None or event.action != CUSTOMER_VIEWED or event.customer_id != customer_id
            or event.actor_id != staff_id):
        return None
    age = (now or utcnow()) - event.occurred_at
    if not timedelta(0) <= age < VIEW_WINDOW:
        return None
    return lookup_from(event.occurred_at, event.purpose, event.details)


def open_requests_of(session: Session, customer_id: int) -> list[tuple[str, str]]:
    """The customer's open requests as (reference, kind), oldest first, for the purpose form."""
    return [(ref, kind) for ref, kind in session.execute(
        select(PrivacyRequest.reference, PrivacyRequest.kind).where(
            PrivacyRequest.customer_id == customer_id, PrivacyRequest.status.in_(OPEN_STATUSES),
            PrivacyRequest.reference.is_not(None)).order_by(PrivacyRequest.id))]


def last_login(session: Session, customer: Customer) -> datetime | None:
    """When the customer last logged in to the portal, if they have an account."""
    if customer.account is None:
        return None
    return session.execute(select(func.max(UserSession.created_at))
                           .where(UserSession.user_id == customer.account.id)).scalar_one()


def _search_condition(term: str):
    if term.isdigit():  # a customer number matches exactly
        return Customer.id == int(term) if len(term) <= 9 else false()
    if len(term) < SEARCH_MIN:
        raise InvalidValue("too_short", "q")
    return or_(Customer.email.icontains(term, autoescape=True),
               (Customer.first_name + " " + Customer.last_name).icontains(term, autoescape=True),
               (Customer.last_name + " " + Customer.first_name).icontains(term, autoescape=True))


def search_customers(session: Session, text: str | None, *, shown: int = MATCHES_SHOWN) -> Matches:
    """Customers whose name or email contains `text`, or whose number it is (no commit).

    InvalidValue(code, "q") when the text is empty, too short to narrow the register, or unusable.
    """
    term = clean_text(text, required=True, max_length=SEARCH_MAX, field_name="q")
    if "\n" in term:
        raise InvalidValue("control_characters", "q")
    rows = session.execute(select(Customer).where(_search_condition(term))
                           .order_by(Customer.last_name, Customer.first_name, Customer.id)
                           .limit(shown + 1)).scalars().all()
    matches = tuple(Match(c.id, c.full_name, c.email, c.relationship_start, c.relationship_end,
                          c.erased_at is not None) for c in rows[:shown])
    return Matches(matches, len(rows) > shown)
