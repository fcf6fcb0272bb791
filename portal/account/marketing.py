"""The customer's own marketing prohibitions (Art 21(2)-(3)): switched here, in effect at once."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.account import bp
from portal.account.marketing_forms import (
    ALLOWED_NOW,
    EXPLANATIONS,
    PROHIBITED_NOW,
    MarketingForm,
)
from portal.extensions import db
from portal.services.marketing import set_prohibitions
from portal.services.register import MARKETING_LABELS


@bp.route("/marketing", methods=["GET", "POST"])
def marketing():
    """Show and save the customer's prohibitions, with the history of every change."""
    customer = current_user.customer
    form = MarketingForm(prohibited=sorted(customer.prohibited_channels()))
    if form.validate_on_submit():
        changes = set_prohibitions(db.session, customer, set(form.prohibited.data),
                                   changed_by="customer", actor=current_user)
        db.session.commit()
        for change in changes:
            flash(str((PROHIBITED_NOW if change.prohibited else ALLOWED_NOW)[change.channel]),
                  "success")
        if not changes:
            flash(_("You made no changes."), "info")
        return redirect(url_for("account.marketing"))
    if form.is_submitted():
        abort(400)  # only a hand-made post can fail: an unknown channel
    return render_template(
        "account/marketing.html", form=form, explanations=EXPLANATIONS,
        labels=MARKETING_LABELS, since={p.channel: p.since for p in customer.prohibitions},
        history=customer.marketing_changes)
