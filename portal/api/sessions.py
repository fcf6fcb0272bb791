"""No browser session in the API: a call to /api/ gets an empty session that is never saved.

The API authenticates every call by its key alone. A browser's session cookie sent along is
neither read (a logged-in browser gets 401 like anyone without a key) nor refreshed or set
(no Set-Cookie on any API response). The app's own session interface handles everything else.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSession

PREFIX = "/api/"


class _ApiSession(SecureCookieSession):
    """The throwaway session of one API call."""


class ApiSessionGuard:
    """Wraps the app's session interface; API calls bypass it."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def open_session(self, app: Flask, request):
        """An empty session for an API call; the app's own for anything else."""
        if request.path.startswith(PREFIX):
            return _ApiSession()
        return self.inner.open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        """Never save an API call's session: no cookie is set."""
        if isinstance(session, _ApiSession):
            return None
        return self.inner.save_session(app, session, response)


def install(state) -> None:
    """Wrap the app's session interface once, when the API blueprint is registered."""
    app = state.app
    if not isinstance(app.session_interface, ApiSessionGuard):
        app.session_interface = ApiSessionGuard(app.session_interface)
