"""Extension objects, created unbound and initialised in the app factory."""

from types import SimpleNamespace

import flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from werkzeug.datastructures import Headers

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention Alembic can rely on."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
mail = Mail()


class _Talisman(Talisman):
    """Flask-Talisman with each endpoint's security headers worked out once, not on every answer.

    Flask-Talisman builds every header again for each response: it looks the view's options up
    four times and joins the Content Security Policy again. Without CSP nonces, which the portal
    does not use, the headers depend only on the endpoint and on whether the request came over
    HTTPS (Strict-Transport-Security), so they are built by Flask-Talisman itself on the first
    answer of each and copied after that. A view or setting that asks for a nonce is served by
    Flask-Talisman as it is. `init_app` starts the cache again, as it replaces every option.
    """

    def init_app(self, app, **options):
        self._built: dict[tuple[str | None, bool], list[tuple[str, str]]] = {}
        super().init_app(app, **options)

    def _wants_nonce(self) -> bool:
        view = flask.current_app.view_functions.get(flask.request.endpoint)
        own = getattr(view, "talisman_view_options", {})
        return bool(self.content_security_policy_nonce_in or own.get("content_security_policy_nonce_in"))

    def _force_https(self):
        """Flask-Talisman's redirect to HTTPS, with a quick way past it for a request on HTTPS."""
        request = flask.request
        if request.is_secure or request.headers.get("X-Forwarded-Proto", "http") == "https":
            if self.session_cookie_secure and not self.app.debug:
                self.app.config["SESSION_COOKIE_SECURE"] = True
            return None
        return super()._force_https()

    def _make_nonce(self):
        return super()._make_nonce() if self._wants_nonce() else None

    def _set_response_headers(self, response):
        request = flask.request
        secure = request.is_secure or request.headers.get("X-Forwarded-Proto", "http") == "https"
        key = (request.endpoint, secure)
        built = self._built.get(key)
        if built is None:
            if self._wants_nonce():
                return super()._set_response_headers(response)
            probe = SimpleNamespace(headers=Headers())
            super()._set_response_headers(probe)
            built = self._built[key] = list(probe.headers.items())
        for name, value in built:
            response.headers[name] = value
        return response


talisman = _Talisman()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
