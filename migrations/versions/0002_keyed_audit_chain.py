"""keyed audit chain: re-chain the audit log with HMAC-SHA256 under PORTAL_AUDIT_KEY

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:00:00

Upgrade verifies the existing plain SHA-256 chain and rewrites every `prev_hash` and `hash`
with HMAC-SHA256; it refuses, changing nothing, if the old chain is already broken.
Downgrade does the reverse (and then anchors in PORTAL_AUDIT_ANCHOR_FILE no longer match).
No schema change. The chained content is copied here, not imported, so that this revision
keeps meaning what it meant when it was written.
"""
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from datetime import UTC

import sqlalchemy as sa
from alembic import context, op
from flask import current_app

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
BATCH_SIZE = 1000
Hasher = Callable[[bytes], str]

audit_event = sa.table(
    "audit_event",
    sa.column("id", sa.Integer), sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("action", sa.String), sa.column("actor_kind", sa.String),
    sa.column("actor_id", sa.Integer), sa.column("customer_id", sa.Integer),
    sa.column("purpose", sa.String), sa.column("details", sa.Text),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
)


class BrokenAuditChain(RuntimeError):
    """The chain does not verify under the hashing it is being converted from."""


def plain_sha256(content: bytes) -> str:
    """The unkeyed hashing of revision 0001."""
    return hashlib.sha256(content).hexdigest()


def keyed(key: str) -> Hasher:
    """HMAC-SHA256 under `key`, the hashing from this revision on."""
    if not key:
        raise RuntimeError("PORTAL_AUDIT_KEY is not set: the audit chain cannot be keyed")
    secret = key.encode("utf-8")
    return lambda content: hmac.new(secret, content, hashlib.sha256).hexdigest()


def _content(row, prev_hash: str) -> bytes:
    """The chained bytes of a row (as in portal.services.audit), with `prev_hash`."""
    # SQLite hands back naive UTC; PostgreSQL an aware time in the session's zone.
    occurred_at = row.occurred_at
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=UTC)
    payload = {
        "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "action": row.action,
        "actor_kind": row.actor_kind,
        "actor_id": row.actor_id,
        "customer_id": row.customer_id,
        "purpose": row.purpose,
        "details": row.details,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return canonical.encode("utf-8")


def _rows(connection) -> Iterator[sa.Row]:
    """Every audit event in chain order, read in batches so that updates may run in between."""
    last_id = 0
    while True:
        batch = connection.execute(
            sa.select(audit_event).where(audit_event.c.id > last_id)
            .order_by(audit_event.c.id).limit(BATCH_SIZE)).all()
        yield from batch
        if len(batch) < BATCH_SIZE:
            return
        last_id = batch[-1].id


def _check(connection, old: Hasher) -> None:
    """Raise BrokenAuditChain at the first event that does not verify under `old`."""
    expected_prev = GENESIS_HASH
    for row in _rows(connection):
        if row.prev_hash != expected_prev or old(_content(row, row.prev_hash)) != row.hash:
            raise BrokenAuditChain(
                f"audit chain broken at event {row.id} before re-chaining; nothing was changed. "
                "Keep the database as evidence and investigate before migrating.")
        expected_prev = row.hash


def rechain(connection, old: Hasher, new: Hasher) -> int:
    """Verify the chain under `old`, then rewrite every hash under `new`; return the event count."""
    _check(connection, old)
    update = (audit_event.update().where(audit_event.c.id == sa.bindparam("event_id"))
              .values(prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash")))
    prev, pending, count = GENESIS_HASH, [], 0
    for row in _rows(connection):
        new_hash = new(_content(row, prev))
        pending.append({"event_id": row.id, "new_prev": prev, "new_hash": new_hash})
        prev, count = new_hash, count + 1
        if len(pending) == BATCH_SIZE:
            connection.execute(update, pending)
            pending = []
    if pending:
        connection.execute(update, pending)
    return count


def _audit_key() -> str:
    """PORTAL_AUDIT_KEY of the app running the migration (migrations/env.py runs inside it)."""
    if context.is_offline_mode():
        raise RuntimeError("re-chaining the audit log reads the database: run it online, not --sql")
    return current_app.config.get("PORTAL_AUDIT_KEY") or ""


def upgrade():
    rechain(op.get_bind(), old=plain_sha256, new=keyed(_audit_key()))


def downgrade():
    rechain(op.get_bind(), old=keyed(_audit_key()), new=plain_sha256)
