"""The append-only, hash-chained audit log (tapahtumaloki)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditEvent(db.Model):
    """One audited event, chained to the previous one by SHA-256.

    `prev_hash` is unique, so two writers can never fork the chain.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_customer_id_id", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    # Pseudonymous ids, not foreign keys: the chained content must not change when a person or
    # an account is erased, so nothing may null or cascade these columns.
    actor_id: Mapped[int | None] = mapped_column(index=True)
    customer_id: Mapped[int | None] = mapped_column()
    purpose: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    # The guards below refuse ORM updates and deletes; only tests that forge tampering turn them off.
    append_only = True

    def __repr__(self) -> str:
        return f"<AuditEvent id={self.id} action={self.action}>"


class AppendOnlyViolation(RuntimeError):
    """Something tried to change or delete an audit entry through the ORM."""


@event.listens_for(Session, "before_flush")
def _refuse_changed_entries(session, flush_context, instances) -> None:
    """The audit log is append-only: an ORM update or delete of an entry is a bug, refused."""
    if not AuditEvent.append_only:
        return
    if any(isinstance(obj, AuditEvent) for obj in session.deleted) or any(
            isinstance(obj, AuditEvent) and session.is_modified(obj) for obj in session.dirty):
        raise AppendOnlyViolation("audit entries are append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state) -> None:
    """Also refuse bulk UPDATE and DELETE statements on the audit table."""
    if (AuditEvent.append_only and (state.is_update or state.is_delete) and state.bind_mapper is not None
            and state.bind_mapper.class_ is AuditEvent):
        raise AppendOnlyViolation("audit entries are append-only")
