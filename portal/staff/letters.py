"""Decision letters as staff see them (HTML and PDF): any decided request, for printing or posting."""

from __future__ import annotations

from flask import abort

from portal.downloads import pdf_response
from portal.extensions import db
from portal.models import PrivacyRequest
from portal.services import letters
from portal.services.controller import get_settings
from portal.staff import bp
from portal.staff.review import find_request, record_lookup


def _decided_request(ref: str) -> PrivacyRequest:
    """The decided request `ref`; 404 if there is none or it has no decision yet.

    The letter shows the customer's name and address, so opening it is a look-up for the
    request, recorded as opening the request's review page is.
    """
    found = find_request(ref)
    if not letters.has_letter(found):
        abort(404)
    record_lookup(found)
    return found


@bp.route("/requests/<ref>/letter")
def decision_letter(ref: str):
    """The decision letter exactly as the customer gets it, in the customer's language."""
    return letters.letter_html(_decided_request(ref), get_settings(db.session))


@bp.route("/requests/<ref>/letter.pdf")
def decision_letter_pdf(ref: str):
    """The decision letter as a PDF, to print or post to the customer."""
    return pdf_response(_decided_request(ref))
