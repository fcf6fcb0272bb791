"""Invitation mail through a real SMTP server (aiosmtpd), and the outbox when the server is down."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import OutboxMessage
from portal.models.types import utcnow
from tests.conftest import csrf_token
from tests.functional.helpers import outbox_mail, recipient_hash
from tests.serving import SMTPServer

ANNA = "anna.testinen@esimerkki.example"
SENDER = "tietosuoja@esimerkki.example"
ACTIVATE_RE = re.compile(r"http://localhost/activate/[\w.\-]+")
ENGLISH_SUBJECT = re.compile(r"Your access to (the )?Esimerkki Oy privacy portal")


@pytest.fixture
def smtp_server():
    """A running SMTP server, always stopped at the end."""
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config(app_config, smtp_server):
    """The test configuration, sending mail by SMTP to `smtp_server`."""
    app_config.MAIL_BACKEND = "smtp"
    app_config.MAIL_SERVER = "127.0.0.1"
    app_config.MAIL_PORT = smtp_server.port
    app_config.MAIL_USE_TLS = False
    app_config.MAIL_USE_SSL = False
    app_config.MAIL_TIMEOUT = 5
    return app_config


def ask_for_access(client, address: str):
    """Send the public get-access form from a browser set to Finnish."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fi-FI,fi;q=0.9"
    token = csrf_token(client, "/get-access")
    return client.post("/get-access", data={"email": address, "csrf_token": token})


outbox = outbox_mail


def test_invitation_reaches_the_smtp_server_in_the_customers_own_language(app, client, demo,
                                                                      smtp_server):
    response = ask_for_access(client, ANNA)
    assert response.status_code == 200
    assert "Tarkista sähköpostisi" in response.get_data(as_text=True)

    received = smtp_server.messages()
    assert len(received) == 1
    recipients, message = received[0]
    assert recipients == [ANNA]
    assert message["To"] == ANNA
    assert SENDER in message["From"]
    assert ENGLISH_SUBJECT.fullmatch(message["Subject"]), message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "Hello Anna," in text
    link = ACTIVATE_RE.search(text)
    assert link, text
    assert link.group(0) in message.get_body(("html",)).get_content()

    [row] = outbox(app)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None
    # Once sent, the row keeps no address, body or live link.
    assert (row.recipient, row.body_text, row.body_html) == (recipient_hash(ANNA), "", None)

    activation = client.get(link.group(0).removeprefix("http://localhost"))
    assert activation.status_code == 200
    assert 'name="password_confirm"' in activation.get_data(as_text=True)  # the set-password form


def test_mail_waits_in_the_outbox_while_smtp_is_down_and_goes_out_later(app, client, demo,
                                                                        smtp_server):
    smtp_server.stop()
    response = ask_for_access(client, ANNA)
    assert response.status_code == 200
    assert "Tarkista sähköpostisi" in response.get_data(as_text=True)

    [row] = outbox(app)
    assert (row.recipient, row.status, row.attempts) == (ANNA, "pending", 1)
    assert row.last_error, "the failure reason is kept for the operator"
    assert smtp_server.messages() == []

    smtp_server.start()
    with app.app_context():  # the retry back-off has passed
        message = db.session.get(OutboxMessage, row.id)
        message.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 message(s)." in result.output

    [(recipients, message)] = smtp_server.messages()
    assert recipients == [ANNA]
    assert ENGLISH_SUBJECT.fullmatch(message["Subject"]), message["Subject"]
    assert ACTIVATE_RE.search(message.get_body(("plain",)).get_content())
    [row] = outbox(app)
    assert (row.status, row.attempts) == ("sent", 2)
