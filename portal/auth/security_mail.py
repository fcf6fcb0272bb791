"""Flask-Security's account emails in our own words, in the account's saved language.

Flask-Security decides when an email goes out (a reset link, a changed password); we decide
what it says. `queue_library_email` stands in for the library's rendering, and the two-step
notices the library has no email for are queued from its signals with `queue_account_notice`.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from portal.models import OutboxMessage, User
from portal.models.types import utcnow
from portal.services.outbox import queue_email

RESET_INSTRUCTIONS = "security_reset_instructions"
RESET_NOTICE = "security_reset_notice"
CHANGE_NOTICE = "security_change_notice"
TWO_STEP_ON = "security_two_step_on"
TWO_STEP_OFF = "security_two_step_off"
RECOVERY_CODES = "security_recovery_codes"

# Flask-Security's template setting (without SECURITY_) -> our template in templates/emails/.
LIBRARY_TEMPLATES = {
    "EMAIL_TEMPLATE_PASSWORD_RESET": RESET_INSTRUCTIONS,
    "EMAIL_TEMPLATE_PASSWORD_RESET_NOTICE": RESET_NOTICE,
    "EMAIL_TEMPLATE_PASSWORD_CHANGE_NOTICE": CHANGE_NOTICE,
}


class UnknownSecurityEmail(LookupError):
    """Flask-Security wants to send an email we have no template for (a newly enabled feature).

    Raised rather than sending the library's wording in the request's language.
    """


def our_template(library_template: str) -> str:
    """Our template for the library's email template name, or UnknownSecurityEmail."""
    for setting, ours in LIBRARY_TEMPLATES.items():
        if current_app.config.get(f"SECURITY_{setting}") == library_template:
            return ours
    raise UnknownSecurityEmail(library_template)


def account_locale(user: User) -> str:
    """The account's saved language, else its register entry's, else Finnish."""
    languages = current_app.config["PORTAL_LANGUAGES"]
    for code in (user.locale, user.customer.language if user.customer else None):
        if code in languages:
            return code
    return "fi"


def queue_account_notice(session: Session, user: User, template: str, *, recipient: str | None = None,
                         now: datetime | None = None, **context) -> OutboxMessage:
    """Queue `emails/<template>` about `user`'s account in the account's language (no commit).

    Templates get `customer` (None for staff and erased entries: a neutral greeting) and
    `happened_at`, the time of the change.
    """
    customer = user.customer if user.customer is not None and user.customer.erased_at is None else None
    return queue_email(session, recipient=recipient or user.email, template=template,
                       locale=account_locale(user), customer=customer, happened_at=now or utcnow(),
                       **context)


def queue_library_email(session: Session, library_template: str, recipient: str,
                        context: dict) -> OutboxMessage:
    """Queue our email in place of Flask-Security's `library_template` (no commit).

    `context` is what the library would have rendered its template with (`user`, and for a
    reset link `reset_link`); its wording and subject are not used.
    """
    template = our_template(library_template)
    now = utcnow()
    extra = {}
    if template == RESET_INSTRUCTIONS:
        extra = {"reset_link": context["reset_link"],
                 "expires_at": now + current_app.config["SECURITY_RESET_PASSWORD_WITHIN"]}
    return queue_account_notice(session, context["user"], template, recipient=recipient, now=now, **extra)
