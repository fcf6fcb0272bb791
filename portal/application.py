"""The Flask class the portal runs on: absolute links come from PORTAL_BASE_URL only, and the
session cookie's signer is built once, not on every request."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, has_request_context
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import SecurityError

log = logging.getLogger(__name__)


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signer kept while the keys stay the same.

    Flask builds a new serializer for every request (opening the session and again saving it).
    It holds nothing but the keys and settings, so one per set of keys serves every request.
    """

    def __init__(self) -> None:
        self._signers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if key not in self._signers:
            self._signers[key] = super().get_signing_serializer(app)
        return self._signers[key]


class PortalFlask(Flask):
    """Flask whose absolute URLs never take the request's Host or forwarded headers.

    Links in email (ours and Flask-Security's) are built with `url_for(..., _external=True)`;
    building them from the configured public address means a forged `Host:` cannot put an
    attacker's site into a password-reset or invitation link.
    """

    session_interface = _SessionInterface()

    def url_for(self, endpoint: str, /, *, _anchor: str | None = None, _method: str | None = None,
                _scheme: str | None = None, _external: bool | None = None, **values) -> str:
        """Build a URL; an absolute one starts with PORTAL_BASE_URL."""
        external = _external if _external is not None else (_scheme is not None or not has_request_context())
        if not external or not has_request_context():
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)
        path = super().url_for(endpoint, _anchor=_anchor, _method=_method, _external=False, **values)
        return self.config["PORTAL_BASE_URL"] + path

    def create_url_adapter(self, request):
        """Refuse an untrusted Host with our own 400 page, rendered as if on the portal's host."""
        try:
            return super().create_url_adapter(request)
        except SecurityError as error:
            if request is None:
                raise
            log.warning("request for an untrusted host refused")
            request.environ["HTTP_HOST"] = urlsplit(self.config["PORTAL_BASE_URL"]).netloc
            adapter = super().create_url_adapter(request)
            request.routing_exception = error
            return adapter
