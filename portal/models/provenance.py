"""Where the customer's data came from and to whom it has been disclosed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime

SOURCE_KINDS = (
    "registration",
    "shop_purchase",
    "webshop_purchase",
    "reseller",
    "customer_notice",
    "address_service",
    "subcontractor",
)
RECIPIENT_CATEGORIES = ("credit_check", "debt_collection", "billing", "authority", "service_provider")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class DataSource(db.Model):
    """One source the customer's data was obtained from (säännönmukainen tietolähde)."""

    __tablename__ = "data_source"
    __table_args__ = (
        CheckConstraint(f"kind IN {_in(SOURCE_KINDS)}", name="kind"),
        Index("ix_data_source_customer_id_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(300))
    received_on: Mapped[date] = mapped_column()

    customer = relationship("Customer", back_populates="sources")


class Disclosure(db.Model):
    """A disclosure of the customer's data to a recipient (luovutus)."""

    __tablename__ = "disclosure"
    __table_args__ = (
        CheckConstraint(f"recipient_category IN {_in(RECIPIENT_CATEGORIES)}", name="category"),
        Index("ix_disclosure_customer_id_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(200))
    recipient_category: Mapped[str] = mapped_column(String(32))
    data_disclosed: Mapped[str] = mapped_column(String(300))
    disclosed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recipient_email: Mapped[str | None] = mapped_column(String(255))

    customer = relationship("Customer", back_populates="disclosures")
