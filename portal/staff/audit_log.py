"""The audit log for administrators (replaced by the full view: search and CSV)."""

from __future__ import annotations

from flask import abort

from portal.staff import bp
from portal.staff.access import admin_required


@bp.route("/audit")
@admin_required
def audit_log():
    """Search the audit log."""
    abort(404)
