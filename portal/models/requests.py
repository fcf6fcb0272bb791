"""Data subject requests (pyynnöt): correction, erasure, restriction, objection."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

REQUEST_KINDS = ("correction", "erasure", "restriction", "objection")
REQUEST_STATUSES = ("pending", "in_review", "approved", "partially_approved", "denied", "cancelled")
OPEN_STATUSES = ("pending", "in_review")
REQUEST_CHANNELS = ("portal", "phone", "letter", "email")
ACTOR_KINDS = ("customer", "staff", "system")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class PrivacyRequest(db.Model):
    """One request by a data subject, from receipt to decision.

    `version` is checked on every update, so two reviewers deciding at once cannot both win.
    The customer link is nulled, not cascaded, when a person is erased: the request and its
    history stay as evidence of what was asked and decided.
    """

    __tablename__ = "privacy_request"
    __table_args__ = (
        CheckConstraint(_in("kind", REQUEST_KINDS), name="kind"),
        CheckConstraint(_in("status", REQUEST_STATUSES), name="status"),
        CheckConstraint(_in("channel", REQUEST_CHANNELS), name="channel"),
        CheckConstraint("extended_due_on IS NULL OR extended_due_on > due_on", name="extension"),
        CheckConstraint("deadline >= due_on", name="deadline"),
        Index("ix_privacy_request_status_deadline", "status", "deadline", "id"),
        Index("ix_privacy_request_assignee_deadline", "assignee_id", "status", "deadline", "id"),
        Index("ix_privacy_request_customer_id_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    channel: Mapped[str] = mapped_column(String(8), default="portal")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_on: Mapped[date] = mapped_column()
    extended_due_on: Mapped[date | None] = mapped_column()
    # The date the answer is due now: due_on, or extended_due_on once extended (the queue's order).
    deadline: Mapped[date] = mapped_column(default=lambda ctx: ctx.get_current_parameters()["due_on"])
    extension_reason: Mapped[str | None] = mapped_column(Text)
    # What is asked: fields and new values (correction), scope and reason (others).
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    reply_contact: Mapped[str | None] = mapped_column(String(255))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decision_details: Mapped[dict | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(default=1)

    customer = relationship("Customer", back_populates="requests")
    events = relationship("RequestEvent", back_populates="request", order_by="RequestEvent.id",
                          cascade="all, delete-orphan")
    messages = relationship("RequestMessage", back_populates="request",
                            order_by="RequestMessage.id", cascade="all, delete-orphan")
    notices = relationship("RecipientNotice", back_populates="request", order_by="RecipientNotice.id",
                           cascade="all, delete-orphan")
    assignee = relationship("User", foreign_keys=[assignee_id])

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<PrivacyRequest {self.reference} {self.kind} {self.status}>"

    @property
    def is_open(self) -> bool:
        """Still waiting for a decision."""
        return self.status in OPEN_STATUSES

    @property
    def effective_due_on(self) -> date:
        """The due date, extended if it was."""
        return self.extended_due_on or self.due_on

    @property
    def thread(self) -> list:
        """The messages the customer sees: the thread without staff's internal notes."""
        return [message for message in self.messages if not message.internal]

    def extend(self, until: date, reason: str) -> None:
        """Move the deadline to `until` with the reason the customer is told (no checks here)."""
        self.extended_due_on, self.extension_reason, self.deadline = until, reason, until


class RequestEvent(db.Model):
    """One step in a request's status history."""

    __tablename__ = "request_event"
    __table_args__ = (
        CheckConstraint(_in("status", REQUEST_STATUSES), name="status"),
        CheckConstraint(_in("actor_kind", ACTOR_KINDS), name="actor_kind"),
        Index("ix_request_event_request_id_id", "request_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("privacy_request.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)

    request = relationship("PrivacyRequest", back_populates="events")


class RequestMessage(db.Model):
    """A message in a request's thread between the customer and customer service."""

    __tablename__ = "request_message"
    __table_args__ = (
        CheckConstraint("author_kind IN ('customer', 'staff')", name="author_kind"),
        Index("ix_request_message_request_id_id", "request_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("privacy_request.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_kind: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    # A staff member's internal note: shown to staff only, never in the customer's thread.
    internal: Mapped[bool] = mapped_column(default=False)

    request = relationship("PrivacyRequest", back_populates="messages")


class RecipientNotice(db.Model):
    """Art 19: a recipient of the customer's data told about a correction, erasure or restriction.

    `method` is "email" when the portal sent the notice, "manual" when the recipient has no
    address on file and staff must tell them another way (then `done_at` stays empty until they do).
    """

    __tablename__ = "recipient_notice"
    __table_args__ = (
        CheckConstraint("method IN ('email', 'manual')", name="method"),
        Index("ix_recipient_notice_request_id_id", "request_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("privacy_request.id", ondelete="CASCADE"))
    disclosure_id: Mapped[int | None] = mapped_column(ForeignKey("disclosure.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request = relationship("PrivacyRequest", back_populates="notices")


class ProcessingFlag(db.Model):
    """An approved restriction (Art 18) or objection (Art 21(1)) in force on a customer's data.

    Shown wherever staff see the customer. `lifted_at` is set when it ends (Art 18(3): the
    customer is told before a restriction is lifted).
    """

    __tablename__ = "processing_flag"
    __table_args__ = (
        CheckConstraint("kind IN ('restriction', 'objection', 'erasure_hold')", name="kind"),
        Index("ix_processing_flag_customer_id_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(16))  # all, marketing, purpose (erasure_hold: all)
    purpose: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("privacy_request.id", ondelete="SET NULL"))
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer = relationship("Customer", back_populates="flags")
