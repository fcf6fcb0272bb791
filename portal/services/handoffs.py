"""Decisions handed to the company's own systems (CRM/ERP) through the sync API (DESIGN §7).

A handoff is written in the transaction of the decision it carries: a correction applied, an
erasure carried out, a restriction or objection approved, a marketing prohibition switched.
A system reads the pending ones oldest first and acknowledges each once; only then do the
pages say it was carried out. An acknowledged handoff keeps kinds, codes and field names only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from portal.models import ApiKey, Customer, Handoff, PrivacyRequest
from portal.models.api import HANDOFF_KINDS, HANDOFF_OUTCOMES
from portal.models.types import utcnow
from portal.services.audit import record_audit
from portal.services.values import clean_text

MAX_PAGE = 500
NOTE_MAX = 500


class HandoffNotFound(LookupError):
    """No handoff has that id."""


class AlreadyAcknowledged(RuntimeError):
    """The handoff was acknowledged before; it is acknowledged once."""


def record_handoff(session: Session, kind: str, customer: Customer, *, request: PrivacyRequest | None = None,
                   payload: dict) -> Handoff:
    """Hand a decision on `customer` to the company's systems, in the caller's transaction (no commit)."""
    if kind not in HANDOFF_KINDS:
        raise ValueError(f"unknown handoff kind {kind!r}")
    handoff = Handoff(kind=kind, customer_number=customer.customer_number, customer_id=customer.id,
                      request_reference=getattr(request, "reference", None), payload=payload,
                      created_at=utcnow())
    session.add(handoff)
    return handoff


def minimal_payload(kind: str, payload: dict) -> dict:
    """The payload without the person's values: kinds, codes and field names only."""
    if kind == "correction":
        return {"changes": [{"field": change["field"]} for change in payload.get("changes", [])]}
    if kind in ("restriction", "objection"):
        return {"scope": payload.get("scope")}
    return dict(payload)  # erasure and marketing carry codes and dates only


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def record_erasure(session: Session, customer: Customer, *, request: PrivacyRequest | None, erased,
                   kept, purge_on: date | None, complete: bool) -> Handoff:
    """Hand an erasure over: the person's earlier handoffs lose their values first (no commit).

    The erasure's own handoff names item and hold codes and dates, never the person.
    """
    earlier = session.execute(select(Handoff).where(Handoff.customer_id == customer.id)).scalars()
    for handoff in earlier:
        handoff.payload = minimal_payload(handoff.kind, handoff.payload or {})
        handoff.note = None
    payload = {"complete": complete, "erase": [str(item) for item in erased],
               "keep": [{"reason": str(hold.code), "items": [str(item) for item in hold.kept],
                         "until": _day(hold.until),
                         "until_event": str(hold.until_event) if hold.until_event else None}
                        for hold in kept],
               "purge_on": _day(purge_on)}
    return record_handoff(session, "erasure", customer, request=request, payload=payload)


def pending(session: Session, *, after: int = 0, limit: int = 100) -> list[Handoff]:
    """Handoffs not yet acknowledged, oldest first, those with an id above `after` (no commit)."""
    limit = max(1, min(limit, MAX_PAGE))
    return list(session.execute(select(Handoff).where(Handoff.acknowledged_at.is_(None), Handoff.id > after)
                                .order_by(Handoff.id).limit(limit)).scalars())


def acknowledge(session: Session, handoff_id: int, key: ApiKey, *, outcome: str,
                note: str | None) -> Handoff:
    """Record that a system carried the handoff out (or failed to), once only; audited; commits.

    The conditional update makes two systems acknowledging at once safe: one wins, the
    other gets AlreadyAcknowledged (and nothing is written). A bad note: InvalidValue("note").
    """
    if outcome not in HANDOFF_OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    note = clean_text(note, required=False, max_length=NOTE_MAX, field_name="note")
    changed = session.execute(
        update(Handoff).where(Handoff.id == handoff_id, Handoff.acknowledged_at.is_(None))
        .values(acknowledged_at=utcnow(), acknowledged_by=key.id, outcome=outcome, note=note or None)
        .execution_options(synchronize_session=False)).rowcount
    handoff = session.get(Handoff, handoff_id, populate_existing=True)
    if handoff is None or not changed:
        session.rollback()
        raise HandoffNotFound(handoff_id) if handoff is None else AlreadyAcknowledged(handoff_id)
    handoff.payload = minimal_payload(handoff.kind, handoff.payload or {})
    record_audit(session, "api_handoff_acknowledged", actor_kind="system", customer_id=handoff.customer_id,
                 details={"api_key_id": key.id, "api_key": key.name, "handoff_id": handoff.id,
                          "kind": handoff.kind, "outcome": outcome, "reference": handoff.request_reference})
    session.commit()
    return handoff


def systems_connected(session: Session) -> bool:
    """True if at least one of the company's systems has an API key in force."""
    return bool(session.execute(select(exists().where(ApiKey.revoked_at.is_(None)))).scalar())


@dataclass(frozen=True)
class HandoffState:
    """How far the company's systems are with a request's decision, for the pages."""

    status: str  # "waiting", "done" or "failed"
    at: datetime | None  # when the last system answered (done or failed)
    notes: tuple[str, ...] = ()  # what a failing system said (staff only)


def request_state(session: Session, reference: str | None) -> HandoffState | None:
    """The state of the handoffs of request `reference`; None when there is nothing to show.

    Nothing is shown while no system is connected, or when the decision handed nothing over.
    """
    if not reference or not systems_connected(session):
        return None
    rows = session.execute(select(Handoff.acknowledged_at, Handoff.outcome, Handoff.note)
                           .where(Handoff.request_reference == reference)).all()
    if not rows:
        return None
    if any(row.outcome is None for row in rows):
        return HandoffState("waiting", None)
    at = max(row.acknowledged_at for row in rows)
    failed = tuple(row.note or "" for row in rows if row.outcome == "failed")
    return HandoffState("failed" if failed else "done", at, failed)
