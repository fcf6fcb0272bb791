"""Draining the outbox: deferred tasks first, then email, as if on the portal's public address."""

from __future__ import annotations

from flask import Flask, current_app

from portal.extensions import db
from portal.services.outbox import run_tasks, send_pending


def drain(app: Flask, *, limit: int = 50) -> int:
    """Run due tasks and send due email; return how many emails went out.

    Runs in a request context on PORTAL_BASE_URL, so every link a task puts in an email
    is built from the configured address, never from whoever made the request.
    """
    from portal.auth.deferred import HANDLERS

    cfg = app.config
    with app.test_request_context(base_url=cfg["PORTAL_BASE_URL"]):
        try:
            run_tasks(db.session, HANDLERS, max_attempts=cfg["PORTAL_OUTBOX_MAX_ATTEMPTS"])
            return send_pending(db.session, sender=cfg["MAIL_DEFAULT_SENDER"],
                                max_attempts=cfg["PORTAL_OUTBOX_MAX_ATTEMPTS"], limit=limit)
        finally:
            db.session.remove()


def _drain_after_response(response):
    """Commit mail queued in this request; run and send it once the response has gone out.

    Working after the response keeps SMTP latency and address look-ups out of response
    times. `flask outbox send` retries whatever fails here.
    """
    if not db.session.info.pop("outbox_dirty", False):
        return response
    db.session.commit()
    if current_app.config["PORTAL_OUTBOX_SEND_IMMEDIATELY"]:
        app = current_app._get_current_object()
        response.call_on_close(lambda: drain(app, limit=10))
    return response


def register(app: Flask) -> None:
    """Drain the outbox after every response that queued something."""
    app.after_request(_drain_after_response)
