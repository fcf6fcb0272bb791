"""The customer's self-service pages."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from portal.account import export, letters, marketing, requests, routes  # noqa: E402,F401
