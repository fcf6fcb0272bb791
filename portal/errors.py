"""Translated error pages; never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from portal import templating
from portal.extensions import db
from portal.services.audit import record_audit

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# PostgreSQL SQLSTATEs meaning "the server cannot be reached now", not "this query is wrong":
# class 08 (connection exception), shut down by an admin or a crash, still starting, too many
# connections. Deadlocks, serialisation failures and timeouts are OperationalErrors too: not these.
_PG_UNAVAILABLE = ("08", "57P01", "57P02", "57P03", "53300")
# SQLite: the file is locked by another writer, cannot be opened, or the disk fails.
_SQLITE_UNAVAILABLE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR")
_SQLITE_UNAVAILABLE_TEXT = ("database is locked", "database table is locked",
                            "unable to open database file", "disk i/o error")


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


def database_unavailable(error: BaseException) -> bool:
    """True when `error` means the database cannot be reached now, not that a query is wrong."""
    if isinstance(error, sa_exc.TimeoutError):  # every pooled connection stayed busy
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, sa_exc.OperationalError):
        return False
    orig = error.orig
    if hasattr(orig, "sqlstate"):  # psycopg; no SQLSTATE: the client lost or never got a connection
        return orig.sqlstate is None or orig.sqlstate.startswith(_PG_UNAVAILABLE)
    name = getattr(orig, "sqlite_errorname", None)
    if name:
        return name.startswith(_SQLITE_UNAVAILABLE)
    return str(orig).lower().startswith(_SQLITE_UNAVAILABLE_TEXT)


def _reason(error: BaseException) -> str:
    """The driver's error class and code, for the log: never the statement or its values."""
    orig = getattr(error, "orig", None) or error
    code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
    return f"{type(orig).__name__} {code}" if code else type(orig).__name__


def _without_database() -> None:
    """Let the rest of this request run with no database: no transaction, no user, no settings."""
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:
        db.session.close()
    # Who is logged in (and their saved language) lives in the database; for this one
    # response the visitor is anonymous. Flask-Login has no public call for this.
    current_app.login_manager._update_request_context_with_user()
    # portal.templating caches the controller settings here; None shows the neutral title.
    templating.skip_settings()


def _handle_database_down(error: BaseException):
    """503 while the database is unreachable; the next request simply tries again."""
    _without_database()
    log.warning("database unavailable (%s); answered 503", _reason(error))
    body, code = render_error(503)
    return body, code, {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


def _audit_access_denied() -> None:
    """Record that a logged-in user was refused this page; the 403 stands even if this fails."""
    try:
        if not current_user.is_authenticated:
            return
        db.session.rollback()  # nothing the refused request started is committed with the entry
        rule = request.url_rule  # the route's pattern: no ids, tokens or query strings
        record_audit(db.session, "access_denied", actor=current_user,
                     details={"endpoint": request.endpoint, "path": rule.rule if rule else None})
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - never turn the refusal into a 500
        db.session.rollback()
        log.warning("could not record access_denied (%s)", _reason(exc))


def _handle_http(error: HTTPException):
    if error.code == 403:
        _audit_access_denied()
    # Only our own messages are shown; library descriptions are English-only.
    custom = error.description if getattr(error, "portal_translated", False) else None
    return render_error(error.code or 500, custom)


def _handle_csrf(error: CSRFError):
    return render_error(400, _("The form had expired or was sent from elsewhere. "
                               "Reload the page and try again."))


def _handle_unexpected(error: Exception):
    cause = getattr(error, "original_exception", None) or error
    if database_unavailable(cause):
        return _handle_database_down(cause)
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
