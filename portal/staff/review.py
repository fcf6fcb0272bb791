"""Reviewing one request: its data, thread and history, and the decision."""

from __future__ import annotations

from flask import abort

from portal.staff import bp


@bp.route("/requests/<ref>")
def review(ref: str):
    """One request with everything needed to decide it."""
    abort(404)


@bp.route("/requests/new", methods=["GET", "POST"])
def record_request():
    """Record a request received by phone, letter or email."""
    abort(404)
