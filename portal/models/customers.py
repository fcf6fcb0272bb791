"""The customer register entry (rekisteröity) and their marketing prohibitions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

MARKETING_CHANNELS = (
    "direct_advertising",
    "distance_selling",
    "direct_marketing",
    "market_research",
    "catalogues",
)


def add_years(day: date, years: int) -> date:
    """Return the same calendar day `years` later (29 Feb becomes 28 Feb)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class Customer(db.Model):
    """A person in the customer register: a private customer or a company's contact."""

    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint("language IN ('fi', 'en')", name="language"),
        CheckConstraint(
            "relationship_end IS NULL OR relationship_end >= relationship_start",
            name="relationship_dates",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The company's own customer number (CRM/ERP), the key for imports and the sync API.
    customer_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(120))
    business_id: Mapped[str | None] = mapped_column(String(9))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    street_address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="FI")
    website: Mapped[str | None] = mapped_column(String(255))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    billing_address: Mapped[str | None] = mapped_column(String(300))
    e_invoice_address: Mapped[str | None] = mapped_column(String(64))
    e_invoice_operator: Mapped[str | None] = mapped_column(String(64))
    technical_data: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2), default="fi")
    relationship_start: Mapped[date] = mapped_column()
    relationship_end: Mapped[date | None] = mapped_column()
    is_contact_person: Mapped[bool] = mapped_column(Boolean, default=False)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set by an approved erasure: what stays is only what a hold needs, kept until purge_on.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purge_on: Mapped[date | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    account = relationship("User", back_populates="customer", uselist=False)
    orders = relationship("Order", back_populates="customer", order_by="Order.ordered_on.desc()")
    quotes = relationship("Quote", back_populates="customer", order_by="Quote.issued_on.desc()")
    invoices = relationship(
        "Invoice", back_populates="customer", order_by="Invoice.issued_on.desc()"
    )
    sources = relationship(
        "DataSource", back_populates="customer", order_by="DataSource.received_on"
    )
    disclosures = relationship(
        "Disclosure", back_populates="customer", order_by="Disclosure.disclosed_at.desc()"
    )
    prohibitions = relationship("MarketingProhibition", back_populates="customer")
    marketing_changes = relationship("MarketingChange", back_populates="customer",
                                     order_by="MarketingChange.id.desc()")
    requests = relationship("PrivacyRequest", back_populates="customer",
                            order_by="PrivacyRequest.id.desc()")
    flags = relationship("ProcessingFlag", back_populates="customer", order_by="ProcessingFlag.id",
                         cascade="all, delete-orphan", passive_deletes=True)

    @property
    def active_flags(self) -> list:
        """Restrictions, objections and erasure holds in force now."""
        return [flag for flag in self.flags if flag.lifted_at is None]

    def __repr__(self) -> str:
        return f"<Customer id={self.id}>"

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"

    def retention_until(self, years: int) -> date | None:
        """The day the data is due for deletion: `years` after the relationship ends."""
        if self.relationship_end is None:
            return None
        return add_years(self.relationship_end, years)

    def prohibited_channels(self) -> set[str]:
        """The marketing channels this person has prohibited."""
        return {p.channel for p in self.prohibitions}


class MarketingProhibition(db.Model):
    """A standing prohibition of one marketing channel (Art 21(2)-(3))."""

    __tablename__ = "marketing_prohibition"
    __table_args__ = (
        UniqueConstraint("customer_id", "channel", name="uq_marketing_prohibition_channel"),
        CheckConstraint(
            "channel IN (" + ", ".join(f"'{c}'" for c in MARKETING_CHANNELS) + ")",
            name="channel",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer = relationship("Customer", back_populates="prohibitions")


MARKETING_ACTORS = ("customer", "staff", "import")


class MarketingChange(db.Model):
    """One switch of a prohibition on or off, shown to the customer as its history."""

    __tablename__ = "marketing_change"
    __table_args__ = (
        CheckConstraint(
            "channel IN (" + ", ".join(f"'{c}'" for c in MARKETING_CHANNELS) + ")", name="channel"),
        CheckConstraint(
            "changed_by IN (" + ", ".join(f"'{a}'" for a in MARKETING_ACTORS) + ")", name="changed_by"),
        Index("ix_marketing_change_customer_id_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    prohibited: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))

    customer = relationship("Customer", back_populates="marketing_changes")


class MarketingSuppression(db.Model):
    """What remains of an erased person's prohibitions: keyed hashes and channels, no name.

    Checked before anyone is added to a mailing, so an erased person is never marketed to again.
    """

    __tablename__ = "marketing_suppression"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    channels: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
