"""The customer privacy self-service portal."""

from __future__ import annotations

from flask import Flask

from portal.config import Config


def create_app(config: Config | None = None) -> Flask:
    """Create and configure the app: only configure and register."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config or Config())
    from portal import account, auth, cli, errors, extensions_setup, i18n, main, templating

    extensions_setup.register_extensions(app)
    i18n.register(app)
    templating.register(app)
    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    auth.register_security(app)
    errors.register(app)
    cli.register(app)
    return app
