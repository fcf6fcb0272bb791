"""Staff accounts for administrators: invite, change role, deactivate and reactivate.

An administrator is also a reviewer. The register always keeps one active administrator:
the last one cannot deactivate or demote themselves (nor be deactivated by anyone else).
Deactivating ends the person's sessions at once; every change is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Role, User
from portal.services.audit import record_audit
from portal.services.invitations import Signer, make_token
from portal.services.outbox import queue_email
from portal.services.sessions import revoke_user_sessions

STAFF_ROLES = ("reviewer", "admin")
# The role names each staff role carries: an administrator reviews requests too.
ROLE_SETS = {"reviewer": ("reviewer",), "admin": ("reviewer", "admin")}


class StaffChangeRefused(Exception):
    """A staff change the rules do not allow; `code` says which rule."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class Refusal(StrEnum):
    """Why a staff change was refused (the view turns these into sentences)."""

    EMAIL_TAKEN = "email_taken"
    LAST_ADMIN = "last_admin"


@dataclass(frozen=True)
class StaffRow:
    """One staff member as the administration page lists them."""

    id: int
    email: str
    role: str
    active: bool
    activated: bool
    two_step: bool
    committed: bool


def role_of(user: User) -> str:
    """'admin' or 'reviewer' (the highest staff role the account has)."""
    return "admin" if user.has_role("admin") else "reviewer"


def staff_members(session: Session) -> list[StaffRow]:
    """Every staff account, active ones first, by email."""
    users = session.execute(
        select(User).where(User.roles.any(Role.name.in_(STAFF_ROLES)))
        .order_by(User.active.desc(), User.email)).scalars()
    return [StaffRow(u.id, u.email, role_of(u), bool(u.active), bool(u.password),
                     bool(u.tf_primary_method), u.confidentiality_signed_at is not None)
            for u in users]


def find_staff(session: Session, user_id: int) -> User | None:
    """The staff account with this id, or None (customers are not staff)."""
    user = session.get(User, user_id)
    return user if user is not None and user.is_staff else None


def _roles(session: Session, role: str) -> list[Role]:
    """The Role rows for a staff role, created if the register has none yet."""
    rows = []
    for name in ROLE_SETS[role]:
        row = session.execute(select(Role).where(Role.name == name)).scalar_one_or_none()
        if row is None:
            row = Role(name=name)
            session.add(row)
        rows.append(row)
    return rows


def _active_admins(session: Session) -> int:
    """How many active administrator accounts there are."""
    return session.execute(
        select(func.count(User.id)).where(User.active.is_(True), User.roles.any(Role.name == "admin"))
    ).scalar_one()


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse a change that would leave no active administrator."""
    if user.active and user.has_role("admin") and _active_admins(session) <= 1:
        raise StaffChangeRefused(Refusal.LAST_ADMIN)


def invite(session: Session, signer: Signer, *, email: str, role: str, locale: str, actor: User) -> User:
    """Create a staff account without a password and email its set-up link (no commit)."""
    email = email.strip().lower()
    if session.execute(select(User.id).where(func.lower(User.email) == email)).first():
        raise StaffChangeRefused(Refusal.EMAIL_TAKEN)
    user = User(email=email, active=True, fs_uniquifier=uuid.uuid4().hex, locale=locale,
                roles=_roles(session, role))
    session.add(user)
    session.flush()
    queue_email(session, recipient=email, template="staff_invitation", locale=locale,
                token=make_token(signer, user), valid_days=signer.max_age_seconds // 86400,
                role=role)
    record_audit(session, "staff_invited", actor=actor, details={"user_id": user.id, "role": role})
    return user


def change_role(session: Session, user: User, role: str, *, actor: User) -> None:
    """Make `user` a reviewer or an administrator (no commit)."""
    if role == role_of(user):
        return
    if role != "admin":
        _keep_an_admin(session, user)
    user.roles = [r for r in user.roles if r.name not in STAFF_ROLES] + _roles(session, role)
    record_audit(session, "staff_role_changed", actor=actor, details={"user_id": user.id, "role": role})


def deactivate(session: Session, user: User, *, actor: User) -> None:
    """Close the account and end its sessions at once (no commit)."""
    if not user.active:
        return
    _keep_an_admin(session, user)
    user.active = False
    revoke_user_sessions(session, user.id, "deactivated")
    record_audit(session, "staff_deactivated", actor=actor, details={"user_id": user.id})


def reactivate(session: Session, user: User, *, actor: User) -> None:
    """Open a closed account again; the person logs in as before (no commit)."""
    if user.active:
        return
    user.active = True
    record_audit(session, "staff_reactivated", actor=actor, details={"user_id": user.id})
