"""Download my data: a page explaining the two formats, and the two streamed downloads.

A download needs a log-in younger than ten minutes: Flask-Security sends an older one to
/verify to re-enter the password, with `next` bringing the customer back to the download.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, current_app, render_template, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import auth_required

from portal.account import bp
from portal.extensions import db
from portal.models.types import utcnow
from portal.services import export as exporter
from portal.services.controller import get_settings

FRESH_MINUTES = 10


@bp.route("/export")
def export():
    """What the two download formats are for, with a link to each."""
    return render_template("account/export.html", fresh_minutes=FRESH_MINUTES)


@bp.route("/export.json")
@auth_required("session", within=FRESH_MINUTES, grace=0)
def export_json():
    """Everything held on the customer as one JSON document (Art 20), streamed."""
    now, tz = utcnow(), _zone()
    exporter.record_export(db.session, current_user, "json")
    body = exporter.export_json(db.session, current_user.customer_id, now=now, tz=tz)
    return _download(body, "application/json", _filename(now, tz, "json"))


@bp.route("/export.zip")
@auth_required("session", within=FRESH_MINUTES, grace=0)
def export_zip():
    """The same content as CSV files for a spreadsheet, in a ZIP with a README, streamed."""
    now, tz = utcnow(), _zone()
    readme = _readme(now, tz)
    exporter.record_export(db.session, current_user, "zip")
    body = exporter.export_zip(db.session, current_user.customer_id, now=now, tz=tz, readme=readme)
    return _download(body, "application/zip", _filename(now, tz, "zip"))


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _filename(now: datetime, tz: ZoneInfo, extension: str) -> str:
    """omat-tiedot-2026-11-22.json: ASCII only, so every browser keeps the name."""
    stem = _("my-data")
    return f"{stem}-{now.astimezone(tz).date().isoformat()}.{extension}"


def _readme(now: datetime, tz: ZoneInfo) -> str:
    """The archive's README: Finnish first, then English, whatever the page language."""
    settings = get_settings(db.session)
    values = {"controller": settings.name if settings else "", "date": now.astimezone(tz).date()}
    return "\n\n".join(render_template(f"account/export_readme_{lang}.txt", **values)
                       for lang in ("fi", "en"))


def _download(body, mimetype: str, filename: str) -> Response:
    """A streamed attachment that no browser or proxy keeps."""
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
