"""Work a public form hands to the outbox, so known and unknown addresses cost the same."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_security.recoverable import send_reset_password_instructions
from sqlalchemy.orm import Session

from portal.models import User
from portal.services import invitations
from portal.services.audit import record_audit
from portal.services.outbox import queue_task

PASSWORD_RESET = "password_reset"  # noqa: S105 - a task name
ACCESS_REQUEST = "access_request"


def normalized_email(address: str) -> str:
    """The address as Flask-Security looks accounts up by (Unicode and case normalised)."""
    try:
        return current_app.extensions["security"].mail_util.normalize(address)
    except Exception:  # noqa: BLE001 - an odd address simply matches nobody
        return address.strip()


def ask_for_password_reset(session: Session, address: str) -> None:
    """Queue a reset link for the address; committed, the same work for any address."""
    queue_task(session, PASSWORD_RESET, normalized_email(address))
    session.commit()


def ask_for_access(session: Session, address: str) -> None:
    """Queue an invitation (or 'you already have an account') for the address; committed."""
    queue_task(session, ACCESS_REQUEST, normalized_email(address))
    session.commit()


def _send_reset_link(session: Session, address: str) -> None:
    """Mail a reset link in the account's own language if the address has an active account."""
    datastore = current_app.extensions["security"].datastore
    user: User | None = datastore.find_user(case_insensitive=True, email=address)
    if user is None or not user.active:
        return
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        send_reset_password_instructions(user)
    record_audit(session, "password_reset_requested", actor_kind="anonymous",
                 customer_id=user.customer_id)


def _answer_access_request(session: Session, address: str) -> None:
    invitations.request_access(session, invitations.Signer.from_config(current_app.config), address)


HANDLERS = {PASSWORD_RESET: _send_reset_link, ACCESS_REQUEST: _answer_access_request}
