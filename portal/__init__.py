"""The customer privacy self-service portal."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.application import PortalFlask
from portal.config import Config


def create_app(config: Config | None = None) -> Flask:
    """Create and configure the app: only configure and register."""
    app = PortalFlask(__name__, instance_relative_config=False)
    app.config.from_object(config or Config())
    from portal import (
        account,
        api,
        auth,
        bench_route,
        cli,
        errors,
        extensions_setup,
        i18n,
        mailer,
        main,
        staff,
        templating,
    )

    extensions_setup.register_extensions(app)
    mailer.register(app)
    i18n.register(app)
    templating.register(app)
    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(api.bp)
    auth.register_security(app)
    auth.locale_choice.register(app)
    errors.register(app)
    cli.register(app)
    bench_route.register(app)  # /_bench/ping, only with PORTAL_BENCH=1
    extensions_setup.skip_page_hooks_for_assets(app)  # last: after every hook is registered
    proxies = app.config["PORTAL_PROXY_COUNT"]
    if proxies:
        # Behind a load balancer: trust its X-Forwarded-For/-Proto, so rate limits and
        # HTTPS redirects see the real client. A forwarded Host is never trusted.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)
    return app
