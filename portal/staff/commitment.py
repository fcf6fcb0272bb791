"""The confidentiality commitment each staff member accepts before first handling the register."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user

from portal.extensions import db
from portal.models.types import utcnow
from portal.services.audit import record_audit
from portal.services.controller import get_settings
from portal.staff import bp
from portal.staff.forms import CommitmentForm


@bp.route("/commitment", methods=["GET", "POST"])
def commitment():
    """Show the commitment; accepting it records the time, once."""
    form = CommitmentForm()
    if current_user.confidentiality_signed_at is None and form.validate_on_submit():
        current_user.confidentiality_signed_at = utcnow()
        record_audit(db.session, "confidentiality_accepted", actor=current_user)
        db.session.commit()
        return redirect(url_for("staff.queue"))
    settings = get_settings(db.session)
    text = settings.text("confidentiality", str(get_locale())) if settings else ""
    return render_template("staff/commitment.html", form=form, text=text)
