"""Deny by default: only logged-in staff pass, and only after accepting the confidentiality commitment."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user
from flask_security import auth_required

from portal.staff import bp

# Pages a staff member may open before accepting the commitment.
BEFORE_COMMITMENT = frozenset({"staff.commitment"})


@bp.before_request
def require_staff():
    """Customers and anonymous users are refused; staff first accept the commitment."""
    return _logged_in_staff()


@auth_required("session")
def _logged_in_staff():
    if not current_user.is_staff:
        abort(403)
    if current_user.confidentiality_signed_at is None and request.endpoint not in BEFORE_COMMITMENT:
        return redirect(url_for("staff.commitment"))
    return None


def admin_required(view):
    """Only administrators (role `admin`) may open `view`; other staff get 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.has_role("admin"):
            abort(403)
        return view(*args, **kwargs)

    return wrapper
