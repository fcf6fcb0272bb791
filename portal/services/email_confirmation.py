"""Confirming a correction's new email address by a signed link sent to it."""

from __future__ import annotations

import hashlib
from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from portal.models import PrivacyRequest
from portal.models.types import utcnow
from portal.services.audit import record_audit
from portal.services.invitations import Signer
from portal.services.refusals import RequestChanged

_CONFIRM_SALT = "portal-confirm-email"


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
    READY = "ready"  # valid and not yet used: the page offers the button


def _new_email(request: PrivacyRequest | None) -> str | None:
    """The new email address a correction asks for, if it asks for one."""
    changes = (request.details or {}).get("changes", []) if request is not None else []
    return next((c["new"] for c in changes if c["field"] == "email"), None)


def _check(session: Session, signer: Signer, token: str) -> tuple[Confirmed | None, PrivacyRequest | None]:
    """The request a token confirms, or why it confirms nothing (None when it can be confirmed)."""
    serializer = URLSafeTimedSerializer(signer.secret_key, salt=_CONFIRM_SALT)
    try:
        request_id, digest = serializer.loads(token, max_age=signer.max_age_seconds)
        request = session.get(PrivacyRequest, int(request_id))
    except SignatureExpired:
        return Confirmed.EXPIRED, None
    except (BadSignature, ValueError, TypeError):
        return Confirmed.INVALID, None
    new = _new_email(request)
    if new is None or _digest(new) != digest:
        return Confirmed.INVALID, None
    if request.details.get("email_confirmation", {}).get("confirmed_at"):
        return Confirmed.ALREADY, request
    if not request.is_open:
        return Confirmed.CLOSED, request
    return None, request


def check_token(session: Session, signer: Signer, token: str) -> Confirmed:
    """What confirming with `token` would do, changing nothing (READY when it would confirm)."""
    outcome, _request = _check(session, signer, token)
    return outcome or Confirmed.READY


def confirm_new_email(session: Session, signer: Signer, token: str, *, actor=None) -> Confirmed:
    """Mark a correction's new email address confirmed, once; audited and committed."""
    for attempt in (1, 2):  # a reviewer saving the request at the same moment: read it again
        outcome, request = _check(session, signer, token)
        if outcome is not None:
            return outcome
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
