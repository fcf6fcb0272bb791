"""API keys of the company's own systems: created with a flask command, shown once, stored hashed,
scoped and revocable. Every creation and revocation is audited."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import ApiKey
from portal.models.api import API_SCOPES
from portal.models.types import utcnow
from portal.services.audit import record_audit

KEY_BYTES = 32  # 256 random bits: a plain hash is enough, no slow password hash needed
PREFIX_LENGTH = 8
USE_RECORDED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")
_KEY = re.compile(r"[A-Za-z0-9_-]{40,64}")


class ApiKeyRefused(ValueError):
    """A key cannot be created or revoked; `code` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class NewKey:
    """A key just created: the stored row and the secret, which is never stored or shown again."""

    row: ApiKey
    secret: str = field(repr=False)


def hash_key(secret: str) -> str:
    """SHA-256 of the key as 64 hex digits: what the database keeps instead of the key."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_key(session: Session, name: str, scopes) -> NewKey:
    """Create a key for the system `name` with `scopes`; audited; commits."""
    name = (name or "").strip()
    wanted = sorted(set(scopes))
    if not _NAME.fullmatch(name):
        raise ApiKeyRefused("name")
    if not wanted or set(wanted) - set(API_SCOPES):
        raise ApiKeyRefused("scopes")
    if session.execute(select(ApiKey.id).where(ApiKey.name == name)).first():
        raise ApiKeyRefused("name_taken")
    secret = secrets.token_urlsafe(KEY_BYTES)
    row = ApiKey(name=name, prefix=secret[:PREFIX_LENGTH], key_hash=hash_key(secret),
                 scopes=" ".join(s for s in API_SCOPES if s in wanted), created_at=utcnow())
    session.add(row)
    session.flush()
    record_audit(session, "api_key_created", actor_kind="system",
                 details={"api_key_id": row.id, "api_key": row.name, "scopes": row.scopes})
    session.commit()
    return NewKey(row, secret)


def revoke_api_key(session: Session, name: str) -> ApiKey:
    """Revoke the key of system `name` at once; audited; commits."""
    row = session.execute(select(ApiKey).where(ApiKey.name == name)).scalar_one_or_none()
    if row is None:
        raise ApiKeyRefused("unknown")
    if row.revoked_at is not None:
        raise ApiKeyRefused("already_revoked")
    row.revoked_at = utcnow()
    record_audit(session, "api_key_revoked", actor_kind="system",
                 details={"api_key_id": row.id, "api_key": row.name})
    session.commit()
    return row


def list_api_keys(session: Session) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first (no commit)."""
    return list(session.execute(select(ApiKey).order_by(ApiKey.id)).scalars())


def authenticate(session: Session, presented: str | None) -> ApiKey | None:
    """The key in force that `presented` is, or None (no commit).

    Candidates are found by the key's first characters; the hashes are compared in constant time.
    """
    if not presented or not _KEY.fullmatch(presented):
        return None
    digest = hash_key(presented)
    candidates = session.execute(select(ApiKey).where(ApiKey.prefix == presented[:PREFIX_LENGTH])).scalars()
    for row in candidates:
        if hmac.compare_digest(row.key_hash, digest):
            return row if row.revoked_at is None else None
    return None


def note_use(session: Session, row: ApiKey, now: datetime | None = None) -> None:
    """Record when the key was last used, at most once a minute (commits when it writes)."""
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at >= USE_RECORDED_EVERY:
        row.last_used_at = now
        session.commit()
