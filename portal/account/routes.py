"""Views for 'My data'. Every view requires a logged-in customer."""

from __future__ import annotations

from flask import abort, current_app, render_template
from flask_login import current_user
from flask_security import auth_required

from portal.account import bp
from portal.extensions import db
from portal.services import register
from portal.services.controller import get_settings


@bp.before_request
@auth_required("session")
def require_customer():
    """Deny by default: only a logged-in customer with a register entry gets through."""
    if current_user.customer is None:
        abort(403)


@bp.route("")
def my_data():
    """Everything the register holds on the logged-in customer."""
    customer = current_user.customer
    settings = get_settings(db.session)
    years = settings.retention_years if settings else current_app.config["PORTAL_RETENTION_YEARS"]
    return render_template(
        "account/my_data.html",
        customer=customer,
        settings=settings,
        register=register,
        retention_years=years,
        retention_until=customer.retention_until(years),
        prohibited=customer.prohibited_channels(),
    )
