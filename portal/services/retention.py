"""Retention (säilytysaika): erase whoever's relationship ended more than the retention period ago,
and purge what partial erasures kept once their holds end (DESIGN §7, seeds 001 and 004).

`plan` says what a run would do and changes nothing; `run` does it with the same erasure routine
as an approved erasure request (`erase_customer`), one customer per transaction, so one failure
leaves the others done. Each erasure or purge is audited as the system, with codes only. The
clock comes in as `today`, so drills and tests can move it. People appear here by register id
and the company's customer number only, never by name: the output goes to an operator's logs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, selectinload

from portal.models import Customer, PrivacyRequest, ProcessingFlag
from portal.models.customers import add_years
from portal.models.requests import OPEN_STATUSES
from portal.services.audit import record_audit
from portal.services.controller import get_settings
from portal.services.erasure import HOLD_FLAG, erase_customer, has_residue, present_items
from portal.services.holds import Hold, Item, erasure_holds

log = logging.getLogger(__name__)

DEFAULT_YEARS = 10
ERASED_ACTION = "retention_erased"
PURGED_ACTION = "retention_purged"
REASON = "retention"
OPEN_REQUEST = "open_request"  # why a customer due for erasure is left for staff
# What holds and present_items() read, loaded for all candidates at once.
_HISTORY_LOADS = (selectinload(Customer.orders), selectinload(Customer.invoices),
                  selectinload(Customer.quotes), selectinload(Customer.sources))


@dataclass(frozen=True)
class Due:
    """A customer whose retention period is over: what goes now and what a hold keeps."""

    customer_id: int
    customer_number: str | None
    retention_ended: date
    erase: tuple[Item, ...]
    kept: tuple[Hold, ...]

    @property
    def complete(self) -> bool:
        """True if nothing holds any data back."""
        return not self.kept


@dataclass(frozen=True)
class Skipped:
    """A customer due for erasure but left alone this time, and why (a code and references)."""

    customer_id: int
    customer_number: str | None
    reason: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class Purge:
    """An erased customer whose kept data no hold (or only a smaller one) needs any more."""

    customer_id: int
    customer_number: str | None
    purge_on: date | None
    kept: tuple[Hold, ...]  # what still stays after the purge


@dataclass(frozen=True)
class Plan:
    """What a run on `today` would do."""

    today: date
    years: int
    due: tuple[Due, ...]
    skipped: tuple[Skipped, ...]
    purges: tuple[Purge, ...]


@dataclass(frozen=True)
class Outcome:
    """What a run did: counts, and the ids that failed (each rolled back on its own)."""

    plan: Plan
    erased: int
    erased_partly: int
    purged: int
    failed: tuple[int, ...]


def retention_years(session: Session) -> int:
    """The controller's retention period in years (10 before anything is configured)."""
    settings = get_settings(session)
    return settings.retention_years if settings is not None and settings.retention_years else DEFAULT_YEARS


def _due_customers(session: Session, today: date, years: int) -> list[Customer]:
    """Customers not yet erased whose relationship ended at least `years` before `today`."""
    # One day of slack for 29 February; retention_until() decides exactly.
    latest_end = add_years(today, -years) + timedelta(days=1)
    rows = session.execute(select(Customer).where(
        Customer.erased_at.is_(None), Customer.relationship_end.is_not(None),
        Customer.relationship_end <= latest_end)
        .options(*_HISTORY_LOADS).order_by(Customer.id)).scalars().all()
    return [customer for customer in rows if customer.retention_until(years) <= today]


def _open_requests(session: Session, ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The references of the open requests of each of `ids` that has any (one query)."""
    found: dict[int, list[str]] = {}
    if ids:
        for customer_id, reference in session.execute(
                select(PrivacyRequest.customer_id, PrivacyRequest.reference)
                .where(PrivacyRequest.customer_id.in_(ids), PrivacyRequest.status.in_(OPEN_STATUSES))
                .order_by(PrivacyRequest.id)):
            found.setdefault(customer_id, []).append(reference or "")
    return {key: tuple(value) for key, value in found.items()}


def _purge_candidates(session: Session, today: date) -> list[Customer]:
    """Erased customers with data still held, or whose purge date has come (as `purge_kept`)."""
    held = exists().where(ProcessingFlag.customer_id == Customer.id, ProcessingFlag.kind == HOLD_FLAG,
                          ProcessingFlag.lifted_at.is_(None))
    return list(session.execute(select(Customer).where(
        Customer.erased_at.is_not(None), or_(held, Customer.purge_on <= today))
        .options(*_HISTORY_LOADS, selectinload(Customer.flags)).order_by(Customer.id)).scalars())


def _due(customer: Customer, today: date, years: int) -> Due:
    """What erasing `customer` today would remove and keep."""
    assessment = erasure_holds(customer, today)
    return Due(customer.id, customer.customer_number, customer.retention_until(years),
               present_items(customer, assessment.erasable), assessment.holds)


def plan(session: Session, today: date) -> Plan:
    """What a retention run on `today` would erase, skip and purge; changes nothing (no commit)."""
    years = retention_years(session)
    customers = _due_customers(session, today, years)
    open_requests = _open_requests(session, [customer.id for customer in customers])
    due, skipped = [], []
    for customer in customers:
        references = open_requests.get(customer.id)
        if references:
            skipped.append(Skipped(customer.id, customer.customer_number, OPEN_REQUEST, references))
        else:
            due.append(_due(customer, today, years))
    purges = []
    for customer in _purge_candidates(session, today):
        assessment = erasure_holds(customer, today)
        if has_residue(customer, assessment):
            purges.append(Purge(customer.id, customer.customer_number, customer.purge_on, assessment.holds))
    return Plan(today, years, tuple(due), tuple(skipped), tuple(purges))


def _locked(session: Session, customer_id: int) -> Customer:
    """The customer re-read under a row lock (another host may run at the same time)."""
    return session.execute(select(Customer).where(Customer.id == customer_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()


def _erase_due(session: Session, item: Due, today: date, years: int, actor) -> bool | None:
    """Erase one due customer if still due; True if completely, False if partly, None if not now."""
    customer = _locked(session, item.customer_id)
    if (customer.erased_at is not None or customer.retention_until(years) is None
            or customer.retention_until(years) > today
            or _open_requests(session, [customer.id])):
        return None
    result = erase_customer(session, customer, actor=actor, today=today)
    record_audit(session, ERASED_ACTION, actor=actor, actor_kind=None if actor is not None else "system",
                 customer_id=customer.id,
                 details={"reason": REASON, "years": years, "as_of": today.isoformat(),
                          "complete": result.complete, "kept": [str(hold.code) for hold in result.kept]})
    return result.complete


def _purge(session: Session, item: Purge, today: date, actor) -> bool:
    """Release what no hold keeps any more for one erased customer; True if anything went."""
    customer = _locked(session, item.customer_id)
    if customer.erased_at is None or not has_residue(customer, erasure_holds(customer, today)):
        return False
    result = erase_customer(session, customer, actor=actor, today=today)
    record_audit(session, PURGED_ACTION, actor=actor, actor_kind=None if actor is not None else "system",
                 customer_id=customer.id,
                 details={"reason": REASON, "as_of": today.isoformat(), "complete": result.complete,
                          "kept": [str(hold.code) for hold in result.kept]})
    return True


def _attempt(session: Session, customer_id: int, step, failed: list[int]):
    """Run one customer's step and commit it; on any error roll it back, log the id, note the failure."""
    try:
        done = step()
        session.commit()
        return done
    except Exception:
        session.rollback()
        log.exception("retention: customer %s could not be erased; nothing of theirs changed", customer_id)
        failed.append(customer_id)
        return None


def run(session: Session, today: date, actor=None) -> Outcome:
    """Carry out `plan(session, today)`: each customer in its own transaction; commits.

    A customer whose erasure fails is rolled back, logged by id and counted; the rest go on.
    """
    planned = plan(session, today)
    session.rollback()  # end the planning transaction: each customer gets a fresh one
    erased = partly = purged = 0
    failed: list[int] = []
    for item in planned.due:
        complete = _attempt(session, item.customer_id,
                            lambda item=item: _erase_due(session, item, today, planned.years, actor), failed)
        if complete is not None:
            erased, partly = erased + 1, partly + (not complete)
    for item in planned.purges:
        if _attempt(session, item.customer_id, lambda item=item: _purge(session, item, today, actor), failed):
            purged += 1
    return Outcome(planned, erased, partly, purged, tuple(failed))
