"""The demo register's requests: every kind waiting in the queue (one overdue) and every outcome.

Dates count back from today, so the queue shows the same picture whenever the demo is loaded.
No email is queued: these requests are history, not news.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from portal.models import Customer, PrivacyRequest, RequestMessage, User
from portal.services.holds import erasure_holds
from portal.services.requests import add_month, set_status


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 15), tzinfo=UTC)


def _filed(session: Session, customer: Customer, kind: str, details: dict, received: date, *,
           channel: str = "portal", filed_by: User | None = None) -> PrivacyRequest:
    """A request as the service files it: reference, due date and first event."""
    actor = filed_by or customer.account
    request = PrivacyRequest(customer=customer, kind=kind, channel=channel, received_at=_at(received),
                             due_on=add_month(received), details=details,
                             reply_contact=customer.email if channel == "portal" else None,
                             filed_by_id=getattr(actor, "id", None))
    set_status(request, "pending", actor, at=request.received_at)
    session.add(request)
    session.flush()
    request.reference = f"PR-{received.year}-{request.id:06d}"
    return request


def _decided(request: PrivacyRequest, status: str, staff: User, on: date, reason: str,
             details: dict | None = None) -> None:
    set_status(request, "in_review", staff, at=_at(on - timedelta(days=2)))
    request.assignee_id = staff.id
    set_status(request, status, staff, at=_at(on, 13))
    request.decided_at, request.decided_by_id = _at(on, 13), staff.id
    locale = request.customer.language if request.customer is not None else "fi"
    request.decision_reason = reason or None
    request.decision_details = {"locale": locale, "outcome": status, "notices": [], **(details or {})}


def _erasure(customer: Customer, received: date, reason: str) -> dict:
    holds = erasure_holds(customer, received)
    return {"reason": reason, "holds_shown": [hold.as_json() for hold in holds.holds]}


def add_demo_requests(session: Session, people: dict[str, Customer], staff: User, today: date) -> None:
    """Requests of every kind and state for the demo customers (no commit)."""
    maija, matti, liisa, pekka, anna, sanna = (
        people[k] for k in ("Maija", "Matti", "Liisa", "Pekka", "Anna", "Sanna"))
    day = lambda n: today - timedelta(days=n)  # noqa: E731

    # Waiting in the queue: one of each kind, the oldest overdue.
    _filed(session, maija, "correction", {
        "changes": [{"field": "phone", "new": "+358401112233"},
                    {"field": "street_address", "new": "Koivukuja 5 B 12"}],
        "reason": "Muutin syyskuussa, ja minulla on uusi puhelinnumero."}, day(3))
    _filed(session, pekka, "erasure", _erasure(pekka, day(6), "En ole enää asiakas."), day(6))
    _filed(session, sanna, "erasure", _erasure(sanna, day(1), ""), day(1))
    restriction = _filed(session, matti, "restriction", {
        "scope": "marketing", "purpose": "",
        "reason": "Please do not use my details for marketing while our company reviews its suppliers."},
        day(24))
    set_status(restriction, "in_review", staff, at=_at(day(20)))
    restriction.assignee_id = staff.id
    restriction.messages.append(RequestMessage(
        author_kind="staff", author_id=staff.id, at=_at(day(20), 11),
        body="Could you tell us whether the restriction also covers our customer newsletter?"))
    restriction.messages.append(RequestMessage(
        author_kind="customer", author_id=matti.account.id, at=_at(day(19), 8),
        body="Yes, the newsletter too, please."))
    _filed(session, anna, "objection", {
        "scope": "purpose", "purpose": "Asiakastyytyväisyyskyselyt puhelimitse",
        "reason": "Minulle on soitettu kyselyitä, vaikka asiakkuus päättyi vuonna 2018."},
        day(40), channel="letter", filed_by=staff)
    extended = _filed(session, liisa, "correction", {
        "changes": [{"field": "last_name", "new": "Esimerkki-Mäkinen"}],
        "reason": "Sukunimeni muuttui avioliiton myötä. Voin toimittaa virkatodistuksen."}, day(15))
    set_status(extended, "in_review", staff, at=_at(day(12)))
    extended.assignee_id = staff.id
    extended.extend(add_month(extended.due_on, 2),
                    "Odotamme virkatodistusta, jotta voimme varmistaa nimenmuutoksen.")

    # Decided or cancelled.
    approved = _filed(session, maija, "correction", {
        "changes": [{"field": "postal_code", "new": "33100"}], "reason": "Postinumero oli väärin."},
        day(200))
    _decided(approved, "approved", staff, day(190), "", {"applied": ["postal_code"]})
    denied = _filed(session, matti, "correction", {
        "changes": [{"field": "organisation", "new": "Testiyhtiö Group Oy"}],
        "reason": "Our company name changed."}, day(120))
    _decided(denied, "denied", staff, day(110),
             "The Trade Register still shows the company name as Testiyhtiö Oy. We correct it when the "
             "change is registered.")
    cancelled = _filed(session, liisa, "restriction", {
        "scope": "all", "purpose": "", "reason": "Haluan rajoittaa käsittelyä, kunnes lasku on selvitetty."},
        day(60))
    set_status(cancelled, "cancelled", liisa.account, at=_at(day(58)))
