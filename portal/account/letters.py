"""Customer pages: the decision letter of one's own request, as a page and as a PDF."""

from __future__ import annotations

from flask import abort

from portal.account import bp
from portal.account.requests import own_request
from portal.downloads import pdf_response
from portal.extensions import db
from portal.models import PrivacyRequest
from portal.services import letters
from portal.services.controller import get_settings

# The decision email (emails/request_decided.*) tells the same facts as the letter.


def _decided_own_request(ref: str) -> PrivacyRequest:
    """The customer's own decided request `ref`; 404 for another's and for one not decided yet."""
    found = own_request(ref)
    if not letters.has_letter(found):
        abort(404)
    return found


@bp.route("/requests/<ref>/letter")
def decision_letter(ref: str):
    """The decision letter as a printable page, in the language of the decision."""
    return letters.letter_html(_decided_own_request(ref), get_settings(db.session))


@bp.route("/requests/<ref>/letter.pdf")
def decision_letter_pdf(ref: str):
    """The decision letter as a PDF to download."""
    return pdf_response(_decided_own_request(ref))
