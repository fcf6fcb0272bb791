"""Server-side session records: created at log-in, checked on every request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from portal.models import User, UserSession
from portal.models.types import utcnow
from portal.services.audit import record_audit


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii", "replace")).hexdigest()


def start_session(session: Session, user_id: int) -> str:
    """Create a session record and return the random key for the cookie (no commit)."""
    key = secrets.token_urlsafe(32)
    session.add(UserSession(key_hash=_hash(key), user_id=user_id))
    session.flush()
    return key


def account_with_session(session: Session, uniquifier: str,
                         key: str | None) -> tuple[User, UserSession] | None:
    """The active account `uniquifier` (with its roles and register entry) and its session record
    `key`, in one query; None if either is missing, the session belongs to another account or
    has been revoked."""
    if not uniquifier or not key:
        return None
    row = session.execute(
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(User.fs_uniquifier == str(uniquifier), User.active.is_(True),
               UserSession.key_hash == _hash(key), UserSession.revoked_at.is_(None))
        .options(joinedload(User.roles), joinedload(User.customer))
    ).unique().first()
    return (row[0], row[1]) if row else None


def keep_alive(session: Session, record: UserSession, *, idle: timedelta, absolute: timedelta,
               touch_every: timedelta) -> bool:
    """True if the live session `record` is within its limits (its last use noted now and then);
    revokes it when idle or too old."""
    now = utcnow()
    expired = "idle" if now - record.last_seen_at > idle else None
    if now - record.created_at > absolute:
        expired = "lifetime"
    if expired:
        record.revoked_at = now
        record.revoked_reason = expired
        session.commit()
        return False
    if now - record.last_seen_at > touch_every:
        record.last_seen_at = now
        session.commit()
    return True


def revoke_session(session: Session, key: str | None, reason: str) -> None:
    """End one session (no commit)."""
    if key:
        session.execute(
            update(UserSession)
            .where(UserSession.key_hash == _hash(key), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason=reason)
        )


def revoke_user_sessions(
    session: Session, user_id: int, reason: str, *, keep_key: str | None = None
) -> None:
    """End every session of a user, optionally keeping the current one (no commit)."""
    query = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if keep_key:
        query = query.where(UserSession.key_hash != _hash(keep_key))
    session.execute(query.values(revoked_at=utcnow(), revoked_reason=reason))


@dataclass(frozen=True)
class SessionRow:
    """A live session as shown to its owner."""

    started_at: datetime
    last_seen_at: datetime
    is_current: bool


def live_sessions(
    session: Session, user_id: int, current_key: str | None, *, idle: timedelta, absolute: timedelta
) -> list[SessionRow]:
    """The user's sessions that still work, newest first."""
    now = utcnow()
    records = session.execute(
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.created_at.desc())
    ).scalars()
    current = _hash(current_key) if current_key else None
    return [
        SessionRow(r.created_at, r.last_seen_at, r.key_hash == current)
        for r in records
        if now - r.last_seen_at <= idle and now - r.created_at <= absolute
    ]


def end_other_sessions(session: Session, user, current_key: str | None) -> None:
    """Log the user out everywhere else; audited and committed."""
    revoke_user_sessions(session, user.id, "ended_by_user", keep_key=current_key)
    record_audit(session, "other_sessions_ended", actor=user, customer_id=user.customer_id)
    session.commit()
