"""Binding the extension objects to the app."""

from __future__ import annotations

from functools import wraps

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
# Answers that need no user, no rate limit, no form and no mail: the hooks pages need are skipped
# for them (the benchmark's bare route is one). Security headers are set on them as on any answer.
ASSET_ENDPOINTS = CACHEABLE_ENDPOINTS | {"bench.ping"}


def skip_page_hooks_for_assets(app: Flask) -> None:
    """Group the app-wide before/after-request hooks, but the security headers, so assets skip them.

    Loading the user and its roles, rate-limit bookkeeping, CSRF, the outbox and the log-in
    cookies cost an asset request more than serving it; none of them has anything to do there.
    Each run of consecutive hooks becomes one hook that runs them as Flask would (before-request
    hooks in order until one answers, after-request and teardown hooks in reverse), so a page pays Flask's
    per-hook dispatch once per group and an asset once. Call once, after every extension and
    blueprint has registered its hooks.
    """

    def keeps(hook) -> bool:
        return getattr(hook, "__self__", None) is talisman or hook is _no_store_for_personal_pages

    def before(hooks):
        @wraps(hooks[0])
        def run():
            if request.endpoint in ASSET_ENDPOINTS:
                return None
            for hook in hooks:
                answer = app.ensure_sync(hook)()
                if answer is not None:
                    return answer
            return None
        return run

    def after(hooks):
        @wraps(hooks[-1])
        def run(response):
            if request.endpoint in ASSET_ENDPOINTS:
                return response
            for hook in reversed(hooks):
                response = app.ensure_sync(hook)(response)
            return response
        return run

    def teardown(hooks):
        @wraps(hooks[-1])
        def run(error):
            if request.endpoint in ASSET_ENDPOINTS:
                return
            for hook in reversed(hooks):
                app.ensure_sync(hook)(error)
        return run

    app.before_request_funcs[None] = _grouped(app.before_request_funcs.get(None, []), keeps, before)
    app.after_request_funcs[None] = _grouped(app.after_request_funcs.get(None, []), keeps, after)
    app.teardown_request_funcs[None] = _grouped(app.teardown_request_funcs.get(None, []), keeps, teardown)


def _grouped(hooks: list, keeps, group) -> list:
    """`hooks` with each run of consecutive hooks that `keeps` refuses replaced by `group(run)`."""
    result, run = [], []
    for hook in [*hooks, None]:
        if hook is not None and not keeps(hook):
            run.append(hook)
            continue
        if run:
            result.append(group(run))
            run = []
        if hook is not None:
            result.append(hook)
    return result


def _no_store_for_personal_pages(response):
    """Keep every page out of browser and proxy caches; only static files may be cached.

    Pages answer per person, per language and per session (forms carry CSRF tokens), so
    none is safe to store; one valid header replaces whatever a library set.
    """
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response
