"""Recording a request that arrived by phone, letter or email, with its real receipt date."""

from __future__ import annotations

from datetime import datetime, time

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal.extensions import db
from portal.i18n import short_date
from portal.models import Customer
from portal.models.types import utcnow
from portal.services import requests as service
from portal.services.invitations import Signer
from portal.services.requests import HELSINKI, Correction, Erasure, FieldChange, Scoped, helsinki_date
from portal.staff import bp
from portal.staff.record_forms import CORRECTION_ROWS, RecordRequestForm
from portal.words import error_message


def _customer(text: str) -> Customer | None:
    """The customer with this number or email address (not an erased one)."""
    text = text.strip()
    where = Customer.id == int(text) if text.isdigit() else func.lower(Customer.email) == text.lower()
    found = db.session.execute(select(Customer).where(where)).scalar_one_or_none()
    return found if found is not None and found.erased_at is None else None


def _details(form: RecordRequestForm):
    kind = form.kind.data
    if kind == "correction":
        return Correction(tuple(FieldChange(n, v) for n, v in form.corrections()), form.reason.data or "")
    if kind == "erasure":
        return Erasure(form.reason.data or "")
    return Scoped(form.scope.data or "all", form.reason.data or "", form.purpose.data or "")


def _received_at(form: RecordRequestForm) -> datetime:
    """When it arrived: now if today, else noon Finnish time on the day given."""
    if form.received_on.data == helsinki_date(utcnow()):
        return utcnow()
    return datetime.combine(form.received_on.data, time(12), tzinfo=HELSINKI)


def _field_for(form: RecordRequestForm, name: str | None):
    """The form field a service refusal concerns (a correction's value row, the reason...)."""
    for row in range(1, CORRECTION_ROWS + 1):
        if getattr(form, f"field_{row}").data == name:
            return getattr(form, f"value_{row}")
    if name in ("reason", "purpose", "reply_contact", "scope"):
        return getattr(form, name)
    return form.value_1


def _file(form: RecordRequestForm):
    customer = _customer(form.customer.data)
    if customer is None:
        form.customer.errors.append(_("No customer with that email address or customer number."))
        return None
    config = current_app.config
    signer = Signer(config["SECRET_KEY"], config["PORTAL_EMAIL_CONFIRM_VALID_DAYS"] * 86400)
    try:
        return service.submit_request(
            db.session, customer, form.kind.data, _details(form),
            reply_contact=form.reply_contact.data or None, actor=current_user, channel=form.channel.data,
            received_at=_received_at(form), signer=signer)
    except service.InvalidValue as problem:
        _field_for(form, problem.field).errors.append(error_message(problem.code, problem.field))
    except service.DuplicateRequest as duplicate:
        flash(_("This customer already has an open request of this kind: %(reference)s.",
                reference=duplicate.reference), "error")
    return None


@bp.route("/requests/new", methods=["GET", "POST"])
def record_request():
    """Record a request received by phone, letter or email; the deadline counts from its receipt."""
    form = RecordRequestForm()
    if form.validate_on_submit() and (filed := _file(form)) is not None:
        flash(_("Request %(reference)s is recorded. The deadline is %(date)s.", reference=filed.reference,
                date=short_date(filed.due_on)), "success")
        return redirect(url_for("staff.review", ref=filed.reference))
    return render_template("staff/record_request.html", form=form,
                           rows=range(1, CORRECTION_ROWS + 1)), 400 if request.method == "POST" else 200
