"""The controller's (rekisterinpitäjä) details, edited by operators without code changes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

# Free-text sections of the privacy statement; each is stored in Finnish and English.
BILINGUAL_FIELDS = (
    "register_name",
    "purposes",
    "legal_basis",
    "sources",
    "disclosures",
    "transfers",
    "retention",
    "security",
    "cookies",
    "profiling",
    "confidentiality",
)
PLAIN_FIELDS = (
    "name",
    "business_id",
    "street_address",
    "postal_code",
    "city",
    "phone",
    "privacy_email",
    "contact_name",
    "contact_email",
    "contact_phone",
)


class ControllerSettings(db.Model):
    """The single row describing the company that keeps the register."""

    __tablename__ = "controller_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    name: Mapped[str] = mapped_column(String(200))
    business_id: Mapped[str | None] = mapped_column(String(9))
    street_address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    privacy_email: Mapped[str] = mapped_column(String(255))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(255))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    statement_date: Mapped[date | None] = mapped_column()
    retention_years: Mapped[int] = mapped_column(default=10)
    register_name_fi: Mapped[str] = mapped_column(String(200), default="Asiakasrekisteri")
    register_name_en: Mapped[str] = mapped_column(String(200), default="Customer register")
    purposes_fi: Mapped[str] = mapped_column(Text, default="")
    purposes_en: Mapped[str] = mapped_column(Text, default="")
    legal_basis_fi: Mapped[str] = mapped_column(Text, default="")
    legal_basis_en: Mapped[str] = mapped_column(Text, default="")
    sources_fi: Mapped[str] = mapped_column(Text, default="")
    sources_en: Mapped[str] = mapped_column(Text, default="")
    disclosures_fi: Mapped[str] = mapped_column(Text, default="")
    disclosures_en: Mapped[str] = mapped_column(Text, default="")
    transfers_fi: Mapped[str] = mapped_column(Text, default="")
    transfers_en: Mapped[str] = mapped_column(Text, default="")
    retention_fi: Mapped[str] = mapped_column(Text, default="")
    retention_en: Mapped[str] = mapped_column(Text, default="")
    security_fi: Mapped[str] = mapped_column(Text, default="")
    security_en: Mapped[str] = mapped_column(Text, default="")
    cookies_fi: Mapped[str] = mapped_column(Text, default="")
    cookies_en: Mapped[str] = mapped_column(Text, default="")
    profiling_fi: Mapped[str] = mapped_column(Text, default="")
    profiling_en: Mapped[str] = mapped_column(Text, default="")
    # The confidentiality commitment every staff member accepts before first use.
    confidentiality_fi: Mapped[str] = mapped_column(Text, default="")
    confidentiality_en: Mapped[str] = mapped_column(Text, default="")
    # The company's own look: accent colour as #rrggbb (None = the portal's default blue).
    accent_colour: Mapped[str | None] = mapped_column(String(7))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The logo's type and digest come with the settings in one query (its bytes stay deferred),
    # since every page needs both.
    logo: Mapped[BrandLogo | None] = relationship(
        "BrandLogo", primaryjoin="foreign(BrandLogo.id) == ControllerSettings.id",
        viewonly=True, uselist=False, lazy="joined")

    def text(self, field: str, locale: str) -> str:
        """The text of a bilingual field in `locale`, falling back to the other language."""
        if field not in BILINGUAL_FIELDS:
            raise KeyError(field)
        primary = getattr(self, f"{field}_{'en' if locale == 'en' else 'fi'}")
        other = getattr(self, f"{field}_{'fi' if locale == 'en' else 'en'}")
        return primary or other or ""

    @property
    def address(self) -> str:
        """Street address, postal code and city on one line."""
        tail = " ".join(p for p in (self.postal_code, self.city) if p)
        return ", ".join(p for p in (self.street_address, tail) if p)


class BrandLogo(db.Model):
    """The company's logo (PNG or SVG), kept in the database since hosts keep no local files."""

    __tablename__ = "brand_logo"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("media_type IN ('image/png', 'image/svg+xml')", name="media_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    media_type: Mapped[str] = mapped_column(String(32))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
