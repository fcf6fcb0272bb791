"""Small helpers shared by the functional and security tests."""

from __future__ import annotations

import hashlib
import html
import re
import socket

from flask_babel import force_locale, gettext
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, OutboxMessage
from tests.conftest import csrf_token

MAIJA = "maija.meikalainen@esimerkki.example"
MATTI = "matti.virtanen@testiyhtio.example"
LIISA = "liisa.esimerkki@esimerkki.example"
PEKKA = "pekka.mallinen@esimerkki.example"
ANNA = "anna.testinen@esimerkki.example"
SANNA = "sanna.salminen@esimerkki.example"


def page(response) -> str:
    """The response body as text, HTML entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def without_tokens(text: str) -> str:
    """The page with its CSRF tokens (signed with a timestamp, so they vary) blanked out."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', text)


def sent_mail(app) -> list:
    """Messages handed to the (in-memory) mail backend of `app`."""
    return list(getattr(app.extensions["mailman"], "outbox", []))


def link_in(message, path: str) -> str:
    """The path (from `path` on) of the first link to `path` in an email's text."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"[^\s\"<>]*)", message.body)
    assert match, f"no link to {path} in: {message.body}"
    return match.group(1)


def translated(app, msgid: str, locale: str = "fi", **values) -> str:
    """What the app's catalogue makes of `msgid` in `locale`."""
    with app.test_request_context(), force_locale(locale):
        return gettext(msgid, **values)


def assert_finnish(app, text: str, msgid: str, **values) -> None:
    """`text` shows the Finnish translation of `msgid`, and it really is translated."""
    finnish = translated(app, msgid, **values)
    assert finnish != (msgid % values if values else msgid), f"no Finnish for {msgid!r}"
    assert finnish in text


def audit_actions(app) -> list[str]:
    """The actions in the audit log, oldest first."""
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars()
        actions = list(rows)
        db.session.remove()
    return actions


def switch_language(client, code: str, next_path: str = "/") -> object:
    """Press the language switch."""
    token = csrf_token(client, "/privacy")
    return client.post(f"/language/{code}", data={"csrf_token": token, "next": next_path})


def closed_port() -> int:
    """A local TCP port where nothing listens (a mail server that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def outbox_mail(app) -> list[OutboxMessage]:
    """The outbox's email rows (not its deferred tasks), oldest first, detached."""
    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage).where(~OutboxMessage.kind.startswith("task:"))
            .order_by(OutboxMessage.id)).scalars().all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def recipient_hash(address: str) -> str:
    """What a sent outbox row keeps of its recipient."""
    return "sha256:" + hashlib.sha256(address.lower().encode()).hexdigest()
