"""The sync API for the company's own systems (CRM/ERP) under /api/v1: API keys, not sessions.

No CSRF token (there is no cookie to ride on: every call carries its key), rate-limited per
key, JSON in and out, described at /api/v1/openapi.json.
"""

from flask import Blueprint, current_app
from flask_limiter.util import get_remote_address

from portal.extensions import csrf, db, limiter
from portal.services.handoffs import request_state

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # only here: callers authenticate with a key in a header, never a cookie

from portal.api import auth, errors, routes, sessions  # noqa: E402,F401 - views and handlers attach to bp

bp.record_once(sessions.install)
bp.before_request(auth.check_key)
errors.register(bp)
limiter.limit(lambda: current_app.config["PORTAL_API_LIMIT"], key_func=auth.rate_key)(bp)
# Failed authentications count per client address, so keys cannot be guessed at speed.
limiter.limit(lambda: current_app.config["PORTAL_API_FAILURE_LIMIT"], key_func=get_remote_address,
              deduct_when=lambda response: response.status_code == 401)(bp)


@bp.app_template_global("handoff_state")
def handoff_state(privacy_request):
    """For the request pages: how far the company's systems are with the decision (or None)."""
    return request_state(db.session, getattr(privacy_request, "reference", None))
