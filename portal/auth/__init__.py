"""Log-in, activation, 'get access' and the Flask-Security integration."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import locale_choice, routes  # noqa: E402,F401
from portal.auth.security import register_security  # noqa: E402,F401
