"""Translated error pages; never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from portal.extensions import db

log = logging.getLogger(__name__)


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be handled"),
        403: _("You do not have access to this page"),
        404: _("Page not found"),
        405: _("This action is not allowed here"),
        413: _("The upload is too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
        503: _("The service is temporarily unavailable"),
    }


def _explanations() -> dict[int, str]:
    return {
        400: _("Check what you entered and try again."),
        403: _("If you think you should have access, log in with your own account."),
        404: _("The address may be mistyped, or the page has moved."),
        405: _("Go back and use the buttons on the page."),
        413: _("Send a smaller file."),
        429: _("For your security, further attempts are blocked for a moment. "
               "Wait a minute and try again."),
        500: _("The error has been logged. Nothing you saved has been lost; please try again "
               "in a moment."),
        503: _("Please try again in a moment."),
    }


def render_error(code: int, detail: str | None = None):
    """Render the error page for an HTTP status code."""
    code = code if code in _titles() else 500
    return (
        render_template(
            "errors/error.html", code=code, title=_titles()[code],
            explanation=detail or _explanations()[code],
        ),
        code,
    )


def abort_with(code: int, message: str):
    """Abort with an HTTP error whose page shows `message` (already translated)."""
    error = default_exceptions[code](description=message)
    error.portal_translated = True
    raise error


def _handle_http(error: HTTPException):
    # Only our own messages are shown; library descriptions are English-only.
    custom = error.description if getattr(error, "portal_translated", False) else None
    return render_error(error.code or 500, custom)


def _handle_csrf(error: CSRFError):
    return render_error(400, _("The form had expired or was sent from elsewhere. "
                               "Reload the page and try again."))


def _handle_unexpected(error: Exception):
    db.session.rollback()
    log.exception("unhandled error")
    return render_error(500)


def register(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(InternalServerError, _handle_unexpected)
    if not app.debug:
        app.register_error_handler(Exception, _handle_unexpected)
