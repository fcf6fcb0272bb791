"""The sync API: the company's systems' API keys, and the decisions handed to those systems."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

API_SCOPES = ("customers:write", "handoffs:read", "handoffs:ack")
HANDOFF_KINDS = ("correction", "erasure", "restriction", "objection", "marketing")
HANDOFF_OUTCOMES = ("done", "failed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class ApiKey(db.Model):
    """One of the company's systems (CRM, ERP) allowed to use /api/v1 with its own key.

    Only a hash of the key is stored; the key is shown once, when it is created. A key is
    revoked, never deleted, so the handoffs it acknowledged keep naming it.
    """

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8), index=True)  # the key's start, to tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated, from API_SCOPES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<ApiKey id={self.id} prefix={self.prefix}>"

    @property
    def scope_set(self) -> frozenset[str]:
        """The scopes granted."""
        return frozenset(self.scopes.split())


class Handoff(db.Model):
    """A decision taken here that the company's own systems must carry out too (DESIGN §7).

    Written in the same transaction as the decision; a system reads the pending ones and
    acknowledges each. `customer_id` is a plain id (no foreign key, like the audit log) so an
    erasure keeps the erasure's own handoff. Once acknowledged, the payload keeps field names
    and codes only.
    """

    __tablename__ = "handoff"
    __table_args__ = (
        CheckConstraint(_in("kind", HANDOFF_KINDS), name="kind"),
        CheckConstraint("outcome IS NULL OR " + _in("outcome", HANDOFF_OUTCOMES), name="outcome"),
        CheckConstraint("(acknowledged_at IS NULL) = (outcome IS NULL)", name="acknowledged"),
        Index("ix_handoff_pending", "acknowledged_at", "id"),
        Index("ix_handoff_customer_id_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    customer_number: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int] = mapped_column()
    request_reference: Mapped[str | None] = mapped_column(String(20), index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("api_key.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<Handoff id={self.id} {self.kind}>"
