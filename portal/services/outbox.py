"""Queueing email in the outbox table and draining it through SMTP with retries."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import render_template
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import OutboxMessage
from portal.models.types import utcnow

log = logging.getLogger(__name__)


def queue_email(
    session: Session,
    *,
    recipient: str,
    template: str,
    locale: str,
    subject: str | None = None,
    **context,
) -> OutboxMessage:
    """Render `emails/<template>` in `locale` and add it to the outbox (no commit).

    The subject is the first line of the text template unless given.
    """
    with force_locale(locale):
        body_text = render_template(f"emails/{template}.txt", **context)
        body_html = render_template(f"emails/{template}.html", **context)
    if subject is None:
        subject, _, body_text = body_text.strip().partition("\n")
        body_text = body_text.lstrip("\n")
    message = OutboxMessage(
        recipient=recipient,
        subject=subject.strip()[:255],
        body_text=body_text,
        body_html=body_html,
        kind=template,
    )
    session.add(message)
    session.info["outbox_dirty"] = True
    return message


def queue_raw(session: Session, *, recipient: str, subject: str, body_text: str,
              body_html: str | None, kind: str) -> OutboxMessage:
    """Add an already rendered email to the outbox (no commit)."""
    message = OutboxMessage(recipient=recipient, subject=subject[:255], body_text=body_text,
                            body_html=body_html, kind=kind)
    session.add(message)
    session.info["outbox_dirty"] = True
    return message


def _backoff(attempts: int) -> timedelta:
    """Wait 1, 2, 4 ... minutes between attempts, at most 6 hours."""
    return timedelta(minutes=min(2 ** (attempts - 1), 360))


def send_pending(session: Session, *, sender: str, max_attempts: int, limit: int = 50) -> int:
    """Send due messages; return how many went out. Failures are retried later."""
    now = utcnow()
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent = 0
    for message in session.execute(query).scalars().all():
        email = EmailMultiAlternatives(
            subject=message.subject, body=message.body_text, from_email=sender,
            to=[message.recipient],
        )
        if message.body_html:
            email.attach_alternative(message.body_html, "text/html")
        message.attempts += 1
        try:
            email.send()
        except Exception as exc:  # noqa: BLE001 - any transport failure is retried
            log.warning("outbox message %s failed: %s", message.id, type(exc).__name__)
            message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            message.next_attempt_at = now + _backoff(message.attempts)
            if message.attempts >= max_attempts:
                message.status = "failed"
        else:
            message.status = "sent"
            message.sent_at = utcnow()
            sent += 1
    session.commit()
    return sent
