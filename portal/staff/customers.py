"""Customer look-ups by staff (replaced by the full view: purpose asked and recorded)."""

from __future__ import annotations

from flask import abort

from portal.staff import bp


@bp.route("/customers")
def find_customer():
    """Find a customer by name, email or customer number."""
    abort(404)
