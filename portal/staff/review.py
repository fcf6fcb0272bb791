"""Reviewing one request: the request, its thread and history, the customer's data, and the decision."""

from __future__ import annotations

import re
import time

from flask import abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.models import PrivacyRequest
from portal.models.types import utcnow
from portal.services import decisions
from portal.services import requests as request_service
from portal.services.decisions import Reviewer
from portal.services.erasure import present_items
from portal.services.holds import erasure_holds
from portal.services.refusals import InvalidValue, RequestRefused
from portal.services.requests import helsinki_date
from portal.services.values import normalise_change
from portal.staff import bp
from portal.staff.forms import ApproveForm, DenyForm, ExtendForm, MessageForm
from portal.words import error_message

_REFERENCE = re.compile(r"PR-[0-9]{4}-[0-9]{6,12}")
LOOKUP_WINDOW_SECONDS = 15 * 60
REFUSALS = {
    "changed": _l("Someone else changed this request at the same time. Check it and try again."),
    "closed": _l("This request has already been decided or cancelled."),
    "already_extended": _l("The deadline has already been extended once."),
    "first_month_over": _l("The deadline can be extended only during the first month."),
    "customer_gone": _l("The customer's data has been erased, so this request cannot be carried out."),
    "email_unconfirmed": _l("The customer has not confirmed the new email address yet. Wait for the "
                            "confirmation or deny the email change with a reason."),
    "email_taken": _l("Another customer or account already uses the new email address."),
}


def find_request(ref: str) -> PrivacyRequest:
    """The request with reference `ref`, or 404."""
    found = None
    if _REFERENCE.fullmatch(ref):
        found = db.session.execute(
            select(PrivacyRequest).where(PrivacyRequest.reference == ref)).scalar_one_or_none()
    if found is None:
        abort(404)
    return found


def record_lookup(req: PrivacyRequest) -> None:
    """Opening a request shows the customer's data: a look-up for that request, once per 15 minutes."""
    if req.customer is None or req.customer.erased_at is not None:
        return
    key = f"lookup:{req.reference}"
    if time.time() - session.get(key, 0) < LOOKUP_WINDOW_SECONDS:
        return
    from portal.services.lookups import record_lookup

    record_lookup(db.session, current_user, req.customer_id, reason="request",
                          request_reference=req.reference)
    db.session.commit()
    session[key] = time.time()


def _diff(req: PrivacyRequest) -> list[dict]:
    """A correction's fields: the value held now, the new value, and whether it is still valid."""
    rows = []
    check = req.is_open and req.customer is not None
    for change in (req.details or {}).get("changes", []):
        problem = None
        if check:
            try:
                normalise_change(req.customer, change["field"], change["new"])
            except InvalidValue as invalid:
                problem = error_message(invalid.code, change["field"])
        current = getattr(req.customer, change["field"], None) if req.customer else None
        rows.append({"field": change["field"], "current": current, "new": change["new"], "problem": problem})
    return rows


def _page(req: PrivacyRequest, forms: dict | None = None, status: int = 200):
    today = helsinki_date(utcnow())
    customer = req.customer if req.customer is not None and req.customer.erased_at is None else None
    defaults = {"approve": ApproveForm, "deny": DenyForm, "extend": ExtendForm, "clarify": MessageForm,
                "note": MessageForm}
    forms = {name: (forms or {}).get(name) or cls(formdata=None, version=req.version, prefix=name)
             for name, cls in defaults.items()}
    holds = erasure_holds(customer, today) if req.kind == "erasure" and customer else None
    present = present_items(customer, holds.erasable) if holds else None
    return render_template(
        "staff/review.html", req=req, customer=customer, forms=forms, today=today, diff=_diff(req),
        holds=holds, present=present, days_left=(req.deadline - today).days,
        letter_links="staff.decision_letter_pdf" in current_app.view_functions,
        can_extend=req.is_open and req.extended_due_on is None and today <= req.due_on), status


@bp.route("/requests/<ref>")
def review(ref: str):
    """One request with everything needed to decide it."""
    req = find_request(ref)
    record_lookup(req)
    return _page(req)


def _act(ref: str, name: str, form_class, action, done: str):
    """Validate the form `name`, run `action(req, form)`, and say what happened."""
    req = find_request(ref)
    form = form_class(prefix=name)
    if not form.validate_on_submit():
        return _page(req, {name: form}, 400)
    try:
        action(req, form)
    except InvalidValue as problem:
        field = getattr(form, "reason", None) if problem.field in ("reason", "extension_reason") else None
        message = str(REFUSALS.get(problem.code) or error_message(problem.code, problem.field))
        (field.errors.append(message) if field is not None else flash(message, "error"))
        return _page(req, {name: form}, 400)
    except RequestRefused as refused:
        flash(str(REFUSALS.get(refused.code, REFUSALS["changed"])), "error")
        return redirect(url_for("staff.review", ref=ref))
    flash(done, "success")
    return redirect(url_for("staff.review", ref=ref))


def _reviewer(form) -> Reviewer:
    return Reviewer(current_user, form.seen_version())


@bp.route("/requests/<ref>/approve", methods=["POST"])
def approve(ref: str):
    """Approve the request and carry it out."""
    return _act(ref, "approve", ApproveForm, lambda req, form: decisions.approve(
        db.session, req, _reviewer(form), reason=form.reason.data),
        _("The request is approved and carried out."))


@bp.route("/requests/<ref>/deny", methods=["POST"])
def deny(ref: str):
    """Deny the request with written reasons."""
    return _act(ref, "deny", DenyForm, lambda req, form: decisions.deny(
        db.session, req, _reviewer(form), reason=form.reason.data),
        _("The request is denied. The customer gets the letter."))


@bp.route("/requests/<ref>/extend", methods=["POST"])
def extend(ref: str):
    """Extend the deadline by one or two months."""
    return _act(ref, "extend", ExtendForm, lambda req, form: decisions.extend(
        db.session, req, _reviewer(form), months=int(form.months.data), reason=form.reason.data),
        _("The deadline is extended. The customer has been told why."))


@bp.route("/requests/<ref>/clarify", methods=["POST"])
def clarify(ref: str):
    """Ask the customer a question in the request's thread (they are emailed)."""
    return _act(ref, "clarify", MessageForm, lambda req, form: request_service.add_message(
        db.session, req, "staff", form.body.data, current_user),
        _("Your question has been sent to the customer."))


@bp.route("/requests/<ref>/note", methods=["POST"])
def note(ref: str):
    """Add an internal note (staff only; part of the customer's download)."""
    return _act(ref, "note", MessageForm, lambda req, form: decisions.add_note(
        db.session, req, current_user, form.body.data), _("The note has been saved."))
