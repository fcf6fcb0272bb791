"""Views for 'My data'. Every view requires a logged-in customer."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import auth_required

from portal import lookup_words
from portal.account import bp
from portal.account.forms import EndSessionsForm
from portal.auth.security import SESSION_KEY
from portal.extensions import db
from portal.services import lookups, register, sessions
from portal.services.controller import get_settings

# Pages reached from an email link, logged in or not (their token proves the right to them).
OPEN_ENDPOINTS = frozenset({"account.confirm_email"})


@bp.before_request
def require_customer():
    """Deny by default: only a logged-in customer with a register entry gets through."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    return _logged_in_customer()


@auth_required("session")
def _logged_in_customer():
    if current_user.is_staff and request.endpoint == "account.my_data":
        return redirect(url_for("staff.queue"))  # where a staff log-in lands
    if current_user.customer is None:
        abort(403)
    return None


@bp.route("")
def my_data():
    """Everything the register holds on the logged-in customer, and what they can do about it."""
    customer = current_user.customer
    settings = get_settings(db.session)
    cfg = current_app.config
    years = settings.retention_years if settings else cfg["PORTAL_RETENTION_YEARS"]
    return render_template(
        "account/my_data.html",
        customer=customer,
        settings=settings,
        register=register,
        summary=register.summarise(customer, settings, years),
        live_sessions=sessions.live_sessions(
            db.session, current_user.id, session.get(SESSION_KEY),
            idle=cfg["PORTAL_IDLE_TIMEOUT"], absolute=cfg["PERMANENT_SESSION_LIFETIME"]),
        end_sessions_form=EndSessionsForm(),
        lookups=lookups.recent_lookups(db.session, customer.id),
        lookup_words=lookup_words,
    )


@bp.route("/sessions/end-others", methods=["POST"])
def end_other_sessions():
    """Log out on every device but this one."""
    form = EndSessionsForm()
    if not form.validate_on_submit():
        abort(400)
    sessions.end_other_sessions(db.session, current_user, session.get(SESSION_KEY))
    flash(_("You have been logged out on all other devices."), "success")
    return redirect(url_for("account.my_data", _anchor="account"))
