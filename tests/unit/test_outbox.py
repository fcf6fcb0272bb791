"""The outbox keeps email through a mail server outage, retries it, and gives up after the maximum."""

import logging
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update

from portal.extensions import db as _db
from portal.models import OutboxMessage
from portal.models.types import utcnow
from portal.services.outbox import queue_raw, send_pending

RECIPIENT = "maija.meikalainen@esimerkki.example"
SENDER = "tietosuoja@esimerkki.example"


class _Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.received.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_port(app_config):
    """An SMTP port where nothing listens (yet); the app sends there."""
    port = _free_port()
    app_config.MAIL_BACKEND = "smtp"
    app_config.MAIL_SERVER = "127.0.0.1"
    app_config.MAIL_PORT = port
    app_config.MAIL_TIMEOUT = 2
    return port


@pytest.fixture
def session(smtp_port, app):
    """The database session of an app whose mail server is down."""
    with app.app_context():
        yield _db.session
        _db.session.remove()


def _queue(session) -> OutboxMessage:
    message = queue_raw(session, recipient=RECIPIENT, subject="Tilauksesi", body_text="Hei Maija!",
                        body_html=None, kind="test")
    session.commit()
    return message


def _make_due(session) -> None:
    session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    session.commit()


def _send(session, max_attempts: int = 8) -> int:
    return send_pending(session, sender=SENDER, max_attempts=max_attempts)


def test_failure_keeps_the_message_pending(session):
    message = _queue(session)
    assert _send(session) == 0
    session.refresh(message)
    assert message.status == "pending"
    assert message.attempts == 1
    assert message.last_error
    assert message.next_attempt_at > utcnow()


def test_message_is_not_retried_before_its_time(session):
    message = _queue(session)
    _send(session)
    _send(session)
    session.refresh(message)
    assert message.attempts == 1


def test_later_attempt_succeeds_when_the_server_is_back(session, smtp_port):
    message = _queue(session)
    _send(session)
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        _make_due(session)
        assert _send(session) == 1
    finally:
        controller.stop()
    session.refresh(message)
    assert (message.status, message.attempts) == ("sent", 2)
    assert message.sent_at is not None
    [envelope] = inbox.received
    assert envelope.rcpt_tos == [RECIPIENT]
    assert b"Hei Maija!" in envelope.content


def test_gives_up_after_max_attempts(session):
    message = _queue(session)
    for _ in range(3):
        _send(session, max_attempts=3)
        _make_due(session)
    session.refresh(message)
    assert (message.status, message.attempts) == ("failed", 3)
    _send(session, max_attempts=3)
    session.refresh(message)
    assert message.attempts == 3


def test_failure_log_names_no_recipient(session, caplog):
    _queue(session)
    with caplog.at_level(logging.WARNING):
        _send(session)
    assert caplog.records
    assert RECIPIENT not in caplog.text


def test_cli_send_reports_what_went_out(smtp_port, app, runner):
    with app.app_context():
        _queue(_db.session)
        _db.session.remove()
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        result = runner.invoke(args=["outbox", "send"])
    finally:
        controller.stop()
    assert result.exit_code == 0
    assert "Sent 1 message(s)." in result.output
    assert len(inbox.received) == 1

