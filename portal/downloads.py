"""HTTP responses shared by the customer and staff pages: file downloads."""

from __future__ import annotations

from flask import Response

from portal.extensions import db
from portal.models import PrivacyRequest
from portal.services import letters
from portal.services.controller import get_settings


def pdf_response(found: PrivacyRequest) -> Response:
    """The letter as a PDF download named by the letter's language (no-store like every page)."""
    response = Response(letters.letter_pdf(found, get_settings(db.session)), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{letters.letter_filename(found)}"'
    return response
