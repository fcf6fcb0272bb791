"""Writing and verifying the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from portal.models import AuditEvent
from portal.models.audit import GENESIS_HASH
from portal.models.types import utcnow

_CHAIN_LOCK_KEY = 7_240_001


def _digest(event: AuditEvent) -> str:
    """SHA-256 over the event's content and the previous hash."""
    payload = {
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "action": event.action,
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "customer_id": event.customer_id,
        "purpose": event.purpose,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record_audit(
    session: Session,
    action: str,
    *,
    actor=None,
    actor_kind: str | None = None,
    customer_id: int | None = None,
    purpose: str | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Append an event to the chain inside the caller's transaction (no commit)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    session.flush()
    last = session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    if actor_kind is None:
        actor_kind = "anonymous" if actor is None else ("staff" if actor.is_staff else "customer")
    event = AuditEvent(
        occurred_at=utcnow(),
        action=action,
        actor_kind=actor_kind,
        actor_id=getattr(actor, "id", None),
        customer_id=customer_id,
        purpose=purpose,
        details=json.dumps(details or {}, sort_keys=True, ensure_ascii=False),
        prev_hash=last or GENESIS_HASH,
    )
    event.hash = _digest(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    """The outcome of verifying the audit chain."""

    ok: bool
    checked: int
    first_bad_id: int | None = None


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash in order; report the first event that does not match."""
    expected_prev = GENESIS_HASH
    checked = 0
    for event in session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars():
        if event.prev_hash != expected_prev or _digest(event) != event.hash:
            return ChainReport(ok=False, checked=checked, first_bad_id=event.id)
        expected_prev = event.hash
        checked += 1
    return ChainReport(ok=True, checked=checked)
