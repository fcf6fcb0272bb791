"""Log-in accounts (customers and staff), roles and server-side sessions."""

from __future__ import annotations

from datetime import datetime

from flask_security import RoleMixin, UserMixin
from flask_security.models.fsqla_v3 import AsaList
from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table
from sqlalchemy.ext.mutable import MutableList
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class CodeList(AsaList):
    """Flask-Security's comma-separated list column, safe to cache (it holds no state)."""

    cache_ok = True


roles_users = Table(
    "roles_users",
    db.metadata,
    Column("user_id", Integer, ForeignKey("account.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", Integer, ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
)


class Role(db.Model, RoleMixin):
    """A role: 'customer', 'reviewer' or 'admin'."""

    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(String(255))
    permissions: Mapped[str | None] = mapped_column(String(255))


class User(db.Model, UserMixin):
    """A personal log-in. Customers link to their register entry; staff do not."""

    __tablename__ = "account"
    __table_args__ = (CheckConstraint("locale IN ('fi', 'en')", name="locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    fs_uniquifier: Mapped[str] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str] = mapped_column(String(5), default="fi")
    tf_primary_method: Mapped[str | None] = mapped_column(String(64))
    tf_totp_secret: Mapped[str | None] = mapped_column(String(255))
    tf_phone_number: Mapped[str | None] = mapped_column(String(128))
    tf_totp_last_counter: Mapped[int | None] = mapped_column()
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), unique=True
    )
    confidentiality_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Flask-Security's one-time recovery codes for a lost authenticator (staff), stored hashed
    # by Flask-Security when SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS is set.
    mf_recovery_codes: Mapped[list[str] | None] = mapped_column(MutableList.as_mutable(CodeList()))

    roles = relationship("Role", secondary=roles_users, lazy="selectin")
    customer = relationship("Customer", back_populates="account")

    def __repr__(self) -> str:
        return f"<User id={self.id}>"

    @property
    def is_staff(self) -> bool:
        """True for reviewers and admins."""
        return self.has_role("reviewer") or self.has_role("admin")

    def check_tf_required(self, tf_setup_methods, tf_fresh):
        """Staff always need the second step; customers when they have set it up."""
        if self.is_staff:
            return True, tf_setup_methods
        return super().check_tf_required(tf_setup_methods, tf_fresh)

    def check_tf_required_setup(self) -> bool:
        """Tell the set-up page that staff may not turn two-step verification off."""
        return self.is_staff or super().check_tf_required_setup()


class UserSession(db.Model):
    """A server-side session record; the cookie holds only its random key.

    Log-out, a password change or the idle timeout revoke it, so a captured
    cookie stops working.
    """

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    user = relationship("User")

    def __repr__(self) -> str:
        return f"<UserSession id={self.id} user_id={self.user_id}>"
