"""The request queue (replaced by the full queue: filters, search, keyset pages, claim/assign)."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from portal.extensions import db
from portal.models import PrivacyRequest
from portal.models.requests import OPEN_STATUSES
from portal.staff import bp


@bp.route("/")
def queue():
    """Open requests, the earliest deadline first."""
    rows = db.session.execute(select(PrivacyRequest).where(PrivacyRequest.status.in_(OPEN_STATUSES))
                              .order_by(PrivacyRequest.deadline, PrivacyRequest.id).limit(50)).scalars().all()
    return render_template("staff/queue.html", requests=rows)
