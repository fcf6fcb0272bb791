"""Queueing email in the outbox table and draining it through SMTP with retries."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
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


TASK_PREFIX = "task:"


def queue_task(session: Session, kind: str, argument: str) -> OutboxMessage:
    """Queue work to run after the response (no commit).

    A request that would do slow or revealing work only for some inputs (a known address)
    queues a task instead, so every request does the same work and takes the same time.
    """
    message = OutboxMessage(recipient=argument[:255], subject="", body_text="", body_html=None,
                            kind=TASK_PREFIX + kind)
    session.add(message)
    session.info["outbox_dirty"] = True
    return message


def recipient_hash(address: str) -> str:
    """What a sent message keeps of its recipient: a hash, enough to match a later mail to one address."""
    return "sha256:" + hashlib.sha256(address.strip().lower().encode()).hexdigest()


def _forget_content(message: OutboxMessage) -> None:
    """Keep only kind, recipient hash and times: the body held live links and personal data."""
    message.recipient = recipient_hash(message.recipient)
    message.body_text = ""
    message.body_html = None


def _due(now, *, tasks: bool):
    kind = OutboxMessage.kind.startswith(TASK_PREFIX)
    return (OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
            kind if tasks else ~kind)


def run_tasks(session: Session, handlers: Mapping[str, Callable[[Session, str], None]], *,
              max_attempts: int, limit: int = 20) -> int:
    """Run due tasks, each in its own transaction with what it queues; return how many ran."""
    done = 0
    for _ in range(limit):
        query = select(OutboxMessage).where(*_due(utcnow(), tasks=True)).order_by(OutboxMessage.id).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        task = session.execute(query).scalar_one_or_none()
        if task is None:
            break
        task_id, kind = task.id, task.kind.removeprefix(TASK_PREFIX)
        try:
            handlers[kind](session, task.recipient)
        except Exception as exc:  # noqa: BLE001 - a failed task is retried like a failed send
            session.rollback()
            log.warning("outbox task %s (%s) failed: %s", task_id, kind, type(exc).__name__)
            task = session.get(OutboxMessage, task_id)
            task.attempts += 1
            task.last_error = type(exc).__name__
            task.next_attempt_at = utcnow() + _backoff(task.attempts)
            if task.attempts >= max_attempts:
                task.status = "failed"
                _forget_content(task)
        else:
            task.attempts += 1
            task.status = "sent"
            task.sent_at = utcnow()
            _forget_content(task)
            done += 1
        session.commit()
    return done


def _backoff(attempts: int) -> timedelta:
    """Wait 1, 2, 4 ... minutes between attempts, at most 6 hours."""
    return timedelta(minutes=min(2 ** (attempts - 1), 360))


def send_pending(session: Session, *, sender: str, max_attempts: int, limit: int = 50) -> int:
    """Send due messages; return how many went out. Failures are retried later."""
    now = utcnow()
    query = (
        select(OutboxMessage)
        .where(*_due(now, tasks=False))
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
            _forget_content(message)
            sent += 1
    session.commit()
    return sent
