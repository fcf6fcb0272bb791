"""Customer pages: make, follow and cancel requests; the message thread; email confirmation links."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import auth_required
from sqlalchemy import select

from portal.account import bp
from portal.account.requests_forms import (
    CancelForm,
    ConfirmEmailForm,
    CorrectionForm,
    ErasureForm,
    MessageForm,
    ScopedForm,
    error_message,
)
from portal.extensions import db
from portal.i18n import short_date
from portal.models import PrivacyRequest
from portal.models.requests import REQUEST_KINDS
from portal.models.types import utcnow
from portal.services import email_confirmation as confirmation
from portal.services import requests as service
from portal.services.email_confirmation import Confirmed
from portal.services.erasure import present_items
from portal.services.holds import Hold, erasure_holds
from portal.services.invitations import Signer
from portal.templating import portal_privacy_email
from portal.words import FIELD_LABELS

FORMS = {"correction": CorrectionForm, "erasure": ErasureForm,
         "restriction": ScopedForm, "objection": ScopedForm}
TEMPLATES = {"correction": "new_correction", "erasure": "new_erasure",
             "restriction": "new_scoped", "objection": "new_scoped"}
ERASURE_FRESHNESS = timedelta(minutes=10)
_REFERENCE = re.compile(r"PR-[0-9]{4}-[0-9]{6,12}")
def confirm_signer() -> Signer:
    """Signs email-confirmation links with the app's secret; valid PORTAL_EMAIL_CONFIRM_VALID_DAYS."""
    days = current_app.config["PORTAL_EMAIL_CONFIRM_VALID_DAYS"]
    return Signer(current_app.config["SECRET_KEY"], days * 86400)


def _freshness() -> timedelta:
    """Erasure needs a log-in from the last 10 minutes; other kinds none beyond the session."""
    fresh = (request.view_args or {}).get("kind") == "erasure"
    return ERASURE_FRESHNESS if fresh else timedelta(seconds=-1)


def own_request(ref: str) -> PrivacyRequest:
    """The logged-in customer's request `ref`; 404 for any other, so others' references stay hidden."""
    found = None
    if _REFERENCE.fullmatch(ref):
        found = db.session.execute(select(PrivacyRequest).where(
            PrivacyRequest.reference == ref,
            PrivacyRequest.customer_id == current_user.customer_id)).scalar_one_or_none()
    if found is None:
        abort(404)
    return found


@bp.route("/requests", endpoint="requests")
def list_requests():
    """The customer's requests, newest first, and the ways to make a new one."""
    return render_template("account/requests/list.html", requests=current_user.customer.requests)


def _lower_first(label: str) -> str:
    """A label mid-sentence: "Puhelinnumero" -> "puhelinnumero" (not "Y-tunnus" or "IP-osoite")."""
    return label if label[1:2] in ("-",) or label[1:2].isupper() else label[:1].lower() + label[1:]


def _duplicate_message(duplicate: service.DuplicateRequest, kind: str) -> str:
    if duplicate.fields:
        return _("You already have an open correction request about %(fields)s (%(reference)s). "
                 "We handle it first: add to it with a message, or cancel it and send a new one.",
                 fields=", ".join(_lower_first(str(FIELD_LABELS[f])) for f in duplicate.fields),
                 reference=duplicate.reference)
    return _("You already have an open request of this kind (%(reference)s). We handle it first: "
             "add to it with a message on its page.", reference=duplicate.reference)


@bp.route("/requests/new/<kind>", methods=["GET", "POST"])
@auth_required("session", within=_freshness, grace=0)
def new_request(kind: str):
    """The form for a new request of `kind`; erasure shows what would be kept before sending."""
    if kind not in REQUEST_KINDS:
        abort(404)
    customer = current_user.customer
    form = FORMS[kind](customer=customer, data={"reply_contact": current_user.email})
    duplicate = None
    if form.validate_on_submit():
        try:
            filed = service.submit_request(db.session, customer, kind, form.details(),
                                           reply_contact=form.clean_reply, actor=current_user,
                                           signer=confirm_signer())
        except service.DuplicateRequest as refused:
            db.session.rollback()
            duplicate = refused
            flash(_duplicate_message(refused, kind), "error")
        except service.InvalidValue as problem:  # the data changed since the form was checked
            db.session.rollback()
            flash(error_message(problem.code, problem.field), "error")
        else:
            flash(_("We received your request %(reference)s. We will answer by %(due)s.",
                    reference=filed.reference, due=short_date(filed.due_on)), "success")
            return redirect(url_for("account.request_detail", ref=filed.reference))
    assessment = erasure_holds(customer, service.helsinki_date(utcnow())) if kind == "erasure" else None
    present = present_items(customer, assessment.erasable) if assessment else None
    return render_template(f"account/requests/{TEMPLATES[kind]}.html", form=form, kind=kind,
                           assessment=assessment, present=present, duplicate=duplicate)


def _render_detail(found: PrivacyRequest, message_form: MessageForm | None = None, status: int = 200):
    letter = "account.decision_letter" in current_app.view_functions and found.decided_at is not None
    return render_template("account/requests/detail.html", req=found,
                           message_form=message_form or MessageForm(), cancel_form=CancelForm(),
                           shown_holds=[Hold.from_json(h) for h in found.details.get("holds_shown", [])],
                           letter_url=url_for("account.decision_letter", ref=found.reference)
                           if letter else None), status


@bp.route("/requests/<ref>")
def request_detail(ref: str):
    """One request: what was asked, its status history, due date, decision and messages."""
    return _render_detail(own_request(ref))


@bp.route("/requests/<ref>/cancel", methods=["POST"])
def cancel_request(ref: str):
    """Cancel a request still waiting for handling."""
    found = own_request(ref)
    if not CancelForm().validate_on_submit():
        abort(400)
    try:
        service.cancel_request(db.session, found, actor=current_user)
    except service.NotCancellable:
        flash(_("This request is already being handled, so it can no longer be cancelled."), "error")
    except service.RequestChanged:
        flash(_("The request changed while you were viewing it. Check its status below."), "error")
    else:
        flash(_("Your request %(reference)s is cancelled.", reference=found.reference), "success")
    return redirect(url_for("account.request_detail", ref=ref))


@bp.route("/requests/<ref>/messages", methods=["POST"])
def request_message(ref: str):
    """Add the customer's message to the request's thread."""
    found = own_request(ref)
    form = MessageForm()
    if not form.validate_on_submit():
        return _render_detail(found, form, 400 if form.csrf_token.errors else 200)
    try:
        service.add_message(db.session, found, "customer", form.clean_body, current_user)
    except service.RequestClosed:
        flash(_("This request is closed. Write to us at %(email)s if you need to add something.",
                email=portal_privacy_email()), "error")
    else:
        flash(_("Your message has been sent."), "success")
    return redirect(url_for("account.request_detail", ref=ref, _anchor="messages"))


@bp.route("/confirm-email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """The link sent to a correction's new email address; the button on it (a POST) confirms.

    Opening the link changes nothing, so mail scanners that follow links cannot confirm for the
    person. The signed token is the credential: it works in any browser, logged in or not.
    """
    signer = confirm_signer()
    if request.method == "POST" and ConfirmEmailForm().validate_on_submit():
        actor = current_user if current_user.is_authenticated else None
        outcome = confirmation.confirm_new_email(db.session, signer, token, actor=actor)
    else:
        outcome = confirmation.check_token(db.session, signer, token)
    good = (Confirmed.READY, Confirmed.CONFIRMED, Confirmed.ALREADY, Confirmed.CLOSED)
    return render_template("account/requests/email_confirmed.html", outcome=outcome.value,
                           form=ConfirmEmailForm()), 200 if outcome in good else 400
