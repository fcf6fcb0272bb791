"""A bare Flask app with one route and no extensions: the floor bench/pages.py compares with.

Served as `gunicorn bench.bare_app:app` with the portal's worker count.
"""

from __future__ import annotations

from flask import Flask, Response

app = Flask(__name__)


@app.route("/_bench/ping")
def ping() -> Response:
    """Plain-text "pong", as the portal's /_bench/ping answers."""
    return Response("pong", mimetype="text/plain")
