"""Marketing prohibitions (Art 21(2)-(3)): in effect at once, every switch recorded, and a
keyed-hash suppression entry that outlives an erased person."""

from __future__ import annotations

import hashlib
import hmac
import re

import phonenumbers
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.models import Customer, MarketingChange, MarketingProhibition, MarketingSuppression
from portal.models.customers import MARKETING_ACTORS, MARKETING_CHANNELS
from portal.models.types import utcnow
from portal.services.audit import record_audit
from portal.services.handoffs import record_handoff

AUDIT_ACTION = "marketing_changed"
# Who switched, as the audit log names the actor when no account is at hand.
_ACTOR_KIND = {"customer": "customer", "staff": "staff", "import": "system"}


class UnknownChannel(ValueError):
    """A channel name that is not one of MARKETING_CHANNELS."""


def _check_channels(channels) -> None:
    unknown = set(channels) - set(MARKETING_CHANNELS)
    if unknown:
        raise UnknownChannel(f"unknown marketing channel(s): {sorted(unknown)}")


def _current(session: Session, customer_id: int) -> dict[str, MarketingProhibition]:
    """The customer's prohibitions as stored, read after locking the customer row."""
    session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update())
    rows = session.execute(
        select(MarketingProhibition).where(MarketingProhibition.customer_id == customer_id)
    ).scalars()
    return {row.channel: row for row in rows}


def set_prohibitions(
    session: Session, customer: Customer, wanted: set[str], *, changed_by: str, actor=None
) -> list[MarketingChange]:
    """Make `wanted` the customer's prohibited channels; one change row and audit entry per
    switched channel, in MARKETING_CHANNELS order (no commit).

    Raises UnknownChannel (nothing written) for a channel name that does not exist.
    """
    _check_channels(wanted)
    if changed_by not in MARKETING_ACTORS:
        raise ValueError(f"changed_by must be one of {MARKETING_ACTORS}")
    current = _current(session, customer.id)
    now = utcnow()
    changes = []
    for channel in MARKETING_CHANNELS:
        prohibited = channel in wanted
        if prohibited == (channel in current):
            continue
        if prohibited:
            session.add(MarketingProhibition(customer_id=customer.id, channel=channel, since=now))
        else:
            session.delete(current[channel])
        change = MarketingChange(customer_id=customer.id, channel=channel, prohibited=prohibited,
                                 changed_at=now, changed_by=changed_by,
                                 actor_id=getattr(actor, "id", None))
        session.add(change)
        changes.append(change)
        record_audit(session, AUDIT_ACTION, actor=actor,
                     actor_kind=None if actor is not None else _ACTOR_KIND[changed_by],
                     customer_id=customer.id,
                     details={"channel": channel, "prohibited": prohibited, "by": changed_by})
    if changes and changed_by != "import":  # an import came from the company's systems: they know
        record_handoff(session, "marketing", customer, payload={
            "prohibited": [c for c in MARKETING_CHANNELS if c in wanted],
            "allowed": [c for c in MARKETING_CHANNELS if c not in wanted]})
    session.flush()
    session.expire(customer, ["prohibitions", "marketing_changes"])
    return changes


def normalise_email(email: str | None) -> str | None:
    """An email address as compared for suppression: stripped and lower-cased."""
    value = (email or "").strip().lower()
    return value or None


def normalise_phone(phone: str | None) -> str | None:
    """A phone number as compared for suppression: E.164 (region FI) when it parses, else digits."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, "FI")
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    digits = re.sub(r"\D", "", phone)
    return digits or None


def _keyed_hash(key: bytes, value: str | None) -> str | None:
    """HMAC-SHA256 of `value` as 64 hex digits; None for no value."""
    if value is None:
        return None
    if not key:
        raise ValueError("the suppression key is empty")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def suppress_before_erasure(
    session: Session, customer: Customer, key: bytes
) -> MarketingSuppression | None:
    """Keep the customer's prohibitions as keyed hashes of email and phone, before the erasure
    deletes the person; None when nothing is prohibited (no commit)."""
    if not key:
        raise ValueError("the suppression key is empty")
    prohibited = set(_current(session, customer.id))
    if not prohibited:
        return None
    email_hash = _keyed_hash(key, normalise_email(customer.email))
    phone_hash = _keyed_hash(key, normalise_phone(customer.phone))
    existing = session.execute(  # an earlier attempt at the same erasure: merge, don't repeat
        select(MarketingSuppression).where(MarketingSuppression.email_hash == email_hash,
                                           MarketingSuppression.phone_hash == phone_hash)
    ).scalars().first()
    if existing is not None:
        prohibited |= set(existing.channels.split(","))
    channels = ",".join(c for c in MARKETING_CHANNELS if c in prohibited)
    if existing is not None:
        existing.channels = channels
        suppression = existing
    else:
        suppression = MarketingSuppression(email_hash=email_hash, phone_hash=phone_hash,
                                           channels=channels)
        session.add(suppression)
    session.flush()
    return suppression


def is_suppressed(
    session: Session, key: bytes, *, email: str | None = None, phone: str | None = None,
    channel: str,
) -> bool:
    """True if an erased person with this email or phone prohibited `channel` (no commit)."""
    _check_channels([channel])
    conditions = []
    email_hash = _keyed_hash(key, normalise_email(email))
    phone_hash = _keyed_hash(key, normalise_phone(phone))
    if email_hash:
        conditions.append(MarketingSuppression.email_hash == email_hash)
    if phone_hash:
        conditions.append(MarketingSuppression.phone_hash == phone_hash)
    if not conditions:
        return False
    found = session.execute(
        select(MarketingSuppression.channels).where(or_(*conditions))
    ).scalars()
    return any(channel in channels.split(",") for channels in found)
