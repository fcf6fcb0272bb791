"""Views for the public pages."""

from __future__ import annotations

from flask import current_app, jsonify, render_template
from flask_babel import get_locale
from sqlalchemy import text

from portal.extensions import db, talisman
from portal.main import bp
from portal.services.controller import get_settings
from portal.services.register import DATA_CATEGORIES


@bp.route("/")
def index():
    """The front page: what the portal is for and how to get in."""
    return render_template("main/index.html", settings=get_settings(db.session))


@bp.route("/privacy")
def privacy():
    """The public privacy statement, built from the controller settings and the data model."""
    settings = get_settings(db.session)
    locale = str(get_locale())
    return render_template(
        "main/privacy.html",
        settings=settings,
        locale=locale,
        sections=DATA_CATEGORIES,
        retention_years=settings.retention_years if settings else
        current_app.config["PORTAL_RETENTION_YEARS"],
    )


@bp.route("/healthz")
@talisman(force_https=False)
def healthz():
    """Liveness and database check for load balancers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
