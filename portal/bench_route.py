"""A bare route for the page benchmark (bench/pages.py): registered only when PORTAL_BENCH=1.

`/_bench/ping` answers "pong" with no user, database, template or form: the floor under every
page, to compare with a bare Flask app. It skips the page hooks (see ASSET_ENDPOINTS in
portal/extensions_setup.py) and keeps the security headers. Never set PORTAL_BENCH in production.
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask, Response

bp = Blueprint("bench", __name__)


@bp.route("/_bench/ping")
def ping() -> Response:
    """Plain-text "pong"."""
    return Response("pong", mimetype="text/plain")


def register(app: Flask) -> None:
    """Add the route if the environment says PORTAL_BENCH=1, else nothing."""
    if os.environ.get("PORTAL_BENCH") == "1":
        app.register_blueprint(bp)
