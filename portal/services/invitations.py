"""Invitations: turning a register entry into a personal log-in."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.models import Customer, OutboxMessage, Role, User
from portal.models.types import utcnow
from portal.services.audit import record_audit
from portal.services.outbox import queue_email, recipient_hash

_SALT = "portal-invitation"


@dataclass(frozen=True)
class Signer:
    """What signing needs from the app: the secret and the validity period."""

    secret_key: str = field(repr=False)
    max_age_seconds: int

    @classmethod
    def from_config(cls, config) -> Signer:
        """The signer for the app's secret and PORTAL_INVITATION_VALID_DAYS."""
        return cls(config["SECRET_KEY"], config["PORTAL_INVITATION_VALID_DAYS"] * 86400)


def _password_state(user: User) -> str:
    """Changes once the password is set, so a used link stops working."""
    if not user.password:
        return "unset"
    return hashlib.sha256(user.password.encode()).hexdigest()[:16]


def make_token(signer: Signer, user: User) -> str:
    """A signed, expiring invitation token for `user`."""
    serializer = URLSafeTimedSerializer(signer.secret_key, salt=_SALT)
    return serializer.dumps([user.fs_uniquifier, _password_state(user)])


class TokenProblem(Enum):
    """Why an invitation token was refused."""

    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"


def load_token(session: Session, signer: Signer, token: str) -> User | TokenProblem:
    """The user the token invites, or why it cannot be used."""
    serializer = URLSafeTimedSerializer(signer.secret_key, salt=_SALT)
    try:
        uniquifier, state = serializer.loads(token, max_age=signer.max_age_seconds)
    except SignatureExpired:
        return TokenProblem.EXPIRED
    except (BadSignature, ValueError, TypeError):
        return TokenProblem.INVALID
    user = session.execute(
        select(User).where(User.fs_uniquifier == str(uniquifier))
    ).scalar_one_or_none()
    if user is None or not user.active:
        return TokenProblem.INVALID
    if state != _password_state(user):
        return TokenProblem.USED
    return user


def account_for(session: Session, customer: Customer) -> User:
    """The customer's account, created without a password if it does not exist (no commit)."""
    if customer.account is not None:
        return customer.account
    role = session.execute(select(Role).where(Role.name == "customer")).scalar_one_or_none()
    if role is None:
        role = Role(name="customer", description="Customer in the register")
        session.add(role)
    user = User(
        email=customer.email.lower(),
        fs_uniquifier=uuid.uuid4().hex,
        active=True,
        locale=customer.language,
        customer=customer,
        roles=[role],
    )
    session.add(user)
    session.flush()
    return user


def invite_customer(session: Session, signer: Signer, customer: Customer, *, actor=None) -> User:
    """Send the customer a link to set a password; audited and queued (no commit)."""
    user = account_for(session, customer)
    queue_email(
        session,
        recipient=customer.email,
        template="invitation",
        locale=user.locale,
        customer=customer,
        token=make_token(signer, user),
        valid_days=signer.max_age_seconds // 86400,
    )
    record_audit(session, "invitation_sent", actor=actor,
                 actor_kind=None if actor else "system", customer_id=customer.id)
    return user


NO_DATA_MAIL_INTERVAL = timedelta(hours=24)


def _no_data_mail_since(session: Session, address: str, since: datetime) -> bool:
    """True if a 'no data' mail to `address` was queued or sent after `since`.

    A sent row keeps only the hash of its recipient, so both forms are matched.
    """
    return session.execute(
        select(OutboxMessage.id).where(
            OutboxMessage.kind == "no_data",
            OutboxMessage.status.in_(("pending", "sent")),
            OutboxMessage.created_at >= since,
            or_(func.lower(OutboxMessage.recipient) == address.lower(),
                OutboxMessage.recipient == recipient_hash(address)),
        ).limit(1)
    ).first() is not None


def request_access(session: Session, signer: Signer, email: str, *,
                   languages: Sequence[str] = ("fi", "en")) -> None:
    """Answer a 'get access' request: an invitation, an 'already active' or a 'no data' note (no commit).

    An address in no register entry gets at most one 'no data' note a day, written in each of
    `languages` in turn, so that the form cannot be used to flood someone's inbox.
    """
    address = email.strip()
    customer = session.execute(
        select(Customer).where(func.lower(Customer.email) == address.lower())
    ).scalar_one_or_none()
    if customer is None:
        mail = not _no_data_mail_since(session, address, utcnow() - NO_DATA_MAIL_INTERVAL)
        if mail:
            queue_email(session, recipient=address, template="no_data", locale=languages[0],
                        mail_languages=tuple(languages))
        record_audit(session, "access_requested_unknown", actor_kind="anonymous",
                     details={"mail_queued": mail})
        return
    user = customer.account
    if user is not None and user.password:
        queue_email(session, recipient=customer.email, template="already_active",
                    locale=user.locale, customer=customer)
        record_audit(session, "access_requested_active", actor_kind="anonymous",
                     customer_id=customer.id)
    else:
        invite_customer(session, signer, customer)


def activate_account(session: Session, user: User, password_hash: str) -> None:
    """Set the first password and mark the account activated."""
    now = utcnow()
    user.password = password_hash
    user.activated_at = now
    user.confirmed_at = now
    record_audit(session, "account_activated", actor=user,
                 customer_id=user.customer_id)
    session.commit()
