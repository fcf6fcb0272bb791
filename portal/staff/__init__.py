"""The staff pages: queue, review, customer look-ups, letters and the audit log."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from portal.staff import (  # noqa: E402,F401
    access,
    admin,
    audit_log,
    commitment,
    customers,
    letters,
    look,
    queue,
    record,
    reports,
    review,
)
