"""Public pages: the front page, the privacy statement and the health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from portal.main import brand, routes  # noqa: E402,F401
