"""Customer look-ups by staff: find a customer, give the purpose, then see everything held.

Recording (DESIGN §7, CJEU C-579/21): a look-up is recorded once per purpose given. Posting
the purpose form writes one `customer_viewed` audit entry and keeps its id in the staff
member's session, keyed by customer id with the time. For VIEW_WINDOW (15 minutes) after that
entry the same staff member may open the page again without being asked and without a new
entry, because nothing new is being done with the data. After the window, in another browser,
or as another staff member, the page asks for the purpose again and records a new look-up.
A plain GET never records anything and never shows data without a fresh purpose.
"""

from __future__ import annotations

import time

from flask import abort, redirect, render_template, session, url_for
from flask_login import current_user

from portal import lookup_words
from portal.extensions import db
from portal.models import Customer
from portal.models.types import utcnow
from portal.services import lookups, register
from portal.services.controller import get_settings
from portal.services.refusals import InvalidValue
from portal.staff import bp
from portal.staff.customer_forms import PurposeForm, SearchForm

VIEWS_KEY = "customer_views"  # {customer id: [audit entry id, unix time]} in the Flask session
_KEPT = 20  # purposes remembered at once; the oldest are forgotten first
MAX_ID = 2**31 - 1  # the largest customer number; a longer one is not looked up at all


@bp.context_processor
def customer_words() -> dict:
    """What the staff templates need to show a customer: the register's labels, look-up words."""
    return {"register": register, "lookup_words": lookup_words}


@bp.route("/customers", methods=["GET", "POST"])
def find_customer():
    """Find a customer by name, email or customer number; the search is posted, so no name or
    email ever appears in a URL or an access log."""
    form = SearchForm()
    matches = None
    if form.validate_on_submit():  # a missing or stale CSRF token never gets here (400 page)
        try:
            matches = lookups.search_customers(db.session, form.q.data)
        except InvalidValue as problem:
            form.refuse(problem.code, problem.field)
    return render_template("staff/find_customer.html", form=form, matches=matches)


@bp.route("/customers/<int:customer_id>", methods=["GET", "POST"])
def customer(customer_id: int):
    """Everything held on one customer, shown only for a purpose given within VIEW_WINDOW."""
    found = db.session.get(Customer, customer_id) if customer_id <= MAX_ID else None
    if found is None:
        abort(404)
    form = PurposeForm(requests=lookups.open_requests_of(db.session, customer_id))
    if form.validate_on_submit():
        try:
            event = lookups.record_lookup(db.session, current_user, customer_id, reason=form.reason.data,
                                          request_reference=form.request_reference.data, note=form.note.data)
            db.session.commit()
        except InvalidValue as problem:
            db.session.rollback()
            form.refuse(problem.code, problem.field)
        else:
            _remember(customer_id, event.id)
            return redirect(url_for("staff.customer", customer_id=customer_id))
    elif not form.is_submitted():
        shown = lookups.current_lookup(db.session, current_user.id, customer_id, _remembered(customer_id),
                                       now=utcnow())
        if shown is not None:
            return _full_view(found, shown)
    return render_template("staff/customer_purpose.html", form=form, customer_id=customer_id)


def _full_view(found: Customer, shown: lookups.Lookup):
    """The customer page: the data panel, the request history and the look-up history."""
    return render_template(
        "staff/customer.html", customer=found, settings=get_settings(db.session), lookup=shown,
        open_until=shown.at + lookups.VIEW_WINDOW, last_login=lookups.last_login(db.session, found),
        history=lookups.staff_lookups_of(db.session, found.id), history_limit=lookups.STAFF_SHOWN)


def _remembered(customer_id: int) -> object:
    """The audit entry id of this session's last look-up of the customer, if any."""
    entry = (session.get(VIEWS_KEY) or {}).get(str(customer_id))
    return entry[0] if isinstance(entry, list) and entry else None


def _remember(customer_id: int, event_id: int) -> None:
    """Keep the look-up's id for the window; forget entries past it, and the oldest beyond _KEPT."""
    now = int(time.time())
    window = int(lookups.VIEW_WINDOW.total_seconds())
    views = {key: value for key, value in (session.get(VIEWS_KEY) or {}).items()
             if isinstance(value, list) and len(value) == 2 and now - value[1] < window}
    views[str(customer_id)] = [event_id, now]
    session[VIEWS_KEY] = dict(sorted(views.items(), key=lambda item: item[1][1])[-_KEPT:])
