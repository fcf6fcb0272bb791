"""The request queue: requests by due date with filters, search and keyset pages; claim and assign.

Filters travel in the query string. A search by the customer's name or email is posted, so
personal data never lands in a URL, the access log or the browser history.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.models import PrivacyRequest
from portal.models.types import utcnow
from portal.services import queue as service
from portal.services.refusals import RequestRefused
from portal.services.requests import helsinki_date
from portal.staff import bp
from portal.staff.queue_forms import AssignForm, ClaimForm, QueueForm, back_args

_REFERENCE = re.compile(r"PR-[0-9]{4}-[0-9]{6,12}")
REFUSALS = {
    "changed": _l("Someone else changed this request at the same time. Check it and try again."),
    "closed": _l("This request has already been decided or cancelled."),
    "not_assignable": _l("A request can be assigned only to a staff member whose account is in use."),
}


@bp.route("/", methods=["GET", "POST"])
def queue():
    """Requests by due date; a POST only searches (the search text stays out of the URL)."""
    staff = service.staff_members(db.session)
    form = QueueForm(formdata=request.form if request.method == "POST" else request.args, staff=staff)
    form.validate()
    today, query = helsinki_date(utcnow()), form.query(current_user.id)
    page = service.open_requests(db.session, **query, today=today)
    return render_template("staff/queue.html", form=form, page=page, staff=staff, search=query["search"],
                           counts=service.queue_counts(db.session, today), posted=request.method == "POST",
                           next_args=form.page_args(page.next_after), filters=form.filter_args(),
                           back=urlencode(form.filter_args(), doseq=True))


def _request(ref: str) -> PrivacyRequest:
    """The request with reference `ref`, or 404."""
    found = None
    if _REFERENCE.fullmatch(ref):
        found = db.session.execute(
            select(PrivacyRequest).where(PrivacyRequest.reference == ref)).scalar_one_or_none()
    if found is None:
        abort(404)
    return found


def _back(form: ClaimForm):
    """Back to the queue, with the filters the staff member was using."""
    return redirect(url_for("staff.queue", **back_args(form.back.data)))


@bp.route("/requests/<ref>/claim", methods=["POST"])
def claim(ref: str):
    """Take the request on: it is assigned to you and goes into review."""
    found, form = _request(ref), ClaimForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.claim(db.session, found, current_user, version=form.version.data)
    except RequestRefused as refused:
        flash(str(REFUSALS.get(refused.code, REFUSALS["changed"])), "error")
    else:
        flash(_("You took on request %(reference)s.", reference=ref), "success")
    return _back(form)


@bp.route("/requests/<ref>/assign", methods=["POST"])
def assign(ref: str):
    """Give the request to a staff member: it goes into review."""
    found, form = _request(ref), AssignForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        done = service.assign(db.session, found, current_user, form.assignee.data, version=form.version.data)
    except RequestRefused as refused:
        flash(str(REFUSALS.get(refused.code, REFUSALS["changed"])), "error")
    else:
        flash(_("Request %(reference)s is assigned to %(email)s.", reference=ref,
                email=done.assignee.email), "success")
    return _back(form)
