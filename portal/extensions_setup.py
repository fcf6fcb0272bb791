"""Binding the extension objects to the app."""

from __future__ import annotations

from flask import Flask, request

from portal.extensions import csrf, db, limiter, mail, migrate, talisman
from portal.services.audit import use_audit_key


def _csp() -> dict[str, str]:
    """A strict Content Security Policy: nothing but our own files, no inline code."""
    return {
        "default-src": "'self'",
        "img-src": "'self' data:",
        "style-src": "'self'",
        "script-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }


def register_extensions(app: Flask) -> None:
    """Initialise database, migrations, CSRF, mail, rate limits and security headers."""
    from portal import models  # noqa: F401 - register the tables

    db.init_app(app)
    # Every session signs audit entries with the key kept outside the database.
    use_audit_key(db.session, app.config["PORTAL_AUDIT_KEY"])
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    https = app.config["PORTAL_HTTPS"]
    talisman.init_app(
        app,
        force_https=https,
        strict_transport_security=https,
        strict_transport_security_max_age=31536000,
        session_cookie_secure=https,
        session_cookie_http_only=True,
        content_security_policy=_csp(),
        # Not no-referrer: over HTTPS Flask-WTF's CSRF check needs a same-site Referer,
        # and with no-referrer browsers send none, so no form could be posted.
        referrer_policy="same-origin",
        frame_options="DENY",
        permissions_policy={"camera": "()", "microphone": "()", "geolocation": "()"},
        x_content_type_options=True,
    )
    app.after_request(_no_store_for_personal_pages)


# Answers that are the same for every visitor: our static files, the company's logo and colours.
CACHEABLE_ENDPOINTS = frozenset({"static", "main.brand_logo", "main.brand_theme"})


def _no_store_for_personal_pages(response):
    """Keep every page out of browser and proxy caches; only static files may be cached.

    Pages answer per person, per language and per session (forms carry CSRF tokens), so
    none is safe to store; one valid header replaces whatever a library set.
    """
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response
