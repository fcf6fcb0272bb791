"""The customer's transaction history: orders, quotes and invoices."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

INVOICE_STATUSES = ("open", "paid", "collection")
QUOTE_STATUSES = ("sent", "accepted", "declined", "expired")


class Order(db.Model):
    """An order the customer placed."""

    __tablename__ = "customer_order"
    __table_args__ = (Index("ix_customer_order_customer_id_id", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32), unique=True)
    ordered_on: Mapped[date] = mapped_column()
    description: Mapped[str] = mapped_column(String(300))
    total_cents: Mapped[int] = mapped_column()
    channel: Mapped[str | None] = mapped_column(String(32))

    customer = relationship("Customer", back_populates="orders")


class Quote(db.Model):
    """A quote the company gave the customer."""

    __tablename__ = "quote"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in QUOTE_STATUSES) + ")", name="status"
        ),
        Index("ix_quote_customer_id_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32), unique=True)
    issued_on: Mapped[date] = mapped_column()
    valid_until: Mapped[date] = mapped_column()
    description: Mapped[str] = mapped_column(String(300))
    total_cents: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="sent")

    customer = relationship("Customer", back_populates="quotes")


class Invoice(db.Model):
    """An invoice: open, paid or in debt collection (perintä)."""

    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in INVOICE_STATUSES) + ")", name="status"
        ),
        CheckConstraint("status != 'paid' OR paid_on IS NOT NULL", name="paid_on"),
        Index("ix_invoice_customer_id_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32), unique=True)
    issued_on: Mapped[date] = mapped_column()
    due_on: Mapped[date] = mapped_column()
    total_cents: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="open")
    paid_on: Mapped[date | None] = mapped_column()

    customer = relationship("Customer", back_populates="invoices")
