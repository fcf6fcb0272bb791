"""Decision letters end to end: the customer opens and downloads their own letter, nobody else's;
staff open any; the decision email carries the letter's substance and links to it."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Customer, PrivacyRequest
from portal.services import requests as service
from tests.functional.helpers import LIISA, MAIJA, MATTI, outbox_mail, page, switch_language
from tests.functional.test_requests import log_in

# The demo's denied correction of Matti's organisation (English), decided by the demo reviewer.
DEMO_REASON = "The Trade Register still shows the company name as Testiyhtiö Oy."


def _reference(app, first_name: str, kind: str, status: str) -> str:
    """The reference of the demo customer's request of `kind` in `status`."""
    with app.app_context():
        reference = db.session.execute(
            select(PrivacyRequest.reference).join(Customer).where(
                Customer.first_name == first_name, PrivacyRequest.kind == kind,
                PrivacyRequest.status == status)).scalars().first()
        db.session.remove()
    assert reference, (first_name, kind, status)
    return reference


def _pdf_text(response) -> str:
    """The text a reader gets out of a PDF response."""
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)


def _text(response) -> str:
    """A page's text with tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page(response)))


def test_customer_opens_and_downloads_their_decision_letter(app, client, auth, demo_queue):
    reference = _reference(app, "Matti", "correction", "denied")
    log_in(client, auth, MATTI)
    detail = page(client.get(f"/account/requests/{reference}"))
    assert f'href="/account/requests/{reference}/letter"' in detail and "Open the decision letter" in detail
    assert f'href="/account/requests/{reference}/letter.pdf"' in detail and "Download it as PDF" in detail

    letter = client.get(f"/account/requests/{reference}/letter")
    assert letter.status_code == 200 and letter.mimetype == "text/html"
    shown = _text(letter)
    assert '<html lang="en">' in page(letter)
    assert reference in shown and DEMO_REASON in shown and "Data Protection Ombudsman" in shown
    assert letter.headers["Cache-Control"] == "no-store"

    pdf = client.get(f"/account/requests/{reference}/letter.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="decision-{reference}.pdf"'
    assert pdf.headers["Cache-Control"] == "no-store"
    text = _pdf_text(pdf)
    assert reference in text and "Testiyhtiö" in text and "Data Protection Ombudsman" in text


def test_the_letter_keeps_the_decisions_language_whatever_the_page_language(app, client, auth, demo_queue):
    reference = _reference(app, "Matti", "correction", "denied")
    log_in(client, auth, MATTI)
    switch_language(client, "fi")
    letter = page(client.get(f"/account/requests/{reference}/letter"))
    assert '<html lang="en">' in letter and "Office of the Data Protection Ombudsman" in letter


def test_finnish_customer_gets_a_finnish_pdf_name(app, client, auth, demo_queue):
    reference = _reference(app, "Maija", "correction", "approved")
    log_in(client, auth, MAIJA)
    pdf = client.get(f"/account/requests/{reference}/letter.pdf")
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="paatos-{reference}.pdf"'
    assert "Meikäläinen" in _pdf_text(pdf) and "33100" in _pdf_text(pdf)


@pytest.mark.parametrize("suffix", ["letter", "letter.pdf"])
def test_another_customers_letter_is_not_found(app, client, auth, demo_queue, suffix):
    reference = _reference(app, "Matti", "correction", "denied")
    log_in(client, auth, MAIJA)
    response = client.get(f"/account/requests/{reference}/{suffix}")
    assert response.status_code == 404
    assert "Testiyhtiö" not in page(response) and "Virtanen" not in page(response)


@pytest.mark.parametrize("suffix", ["letter", "letter.pdf"])
def test_an_undecided_or_cancelled_request_has_no_letter(app, client, auth, demo_queue, suffix):
    in_review = _reference(app, "Liisa", "correction", "in_review")
    cancelled = _reference(app, "Liisa", "restriction", "cancelled")
    log_in(client, auth, LIISA)
    for reference in (in_review, cancelled):
        assert f"/{reference}/letter" not in page(client.get(f"/account/requests/{reference}"))
        assert client.get(f"/account/requests/{reference}/{suffix}").status_code == 404
    assert client.get(f"/account/requests/PR-2026-999999/{suffix}").status_code == 404


def test_staff_open_any_decided_requests_letter(app, reviewer_client, demo_queue):
    denied = _reference(app, "Matti", "correction", "denied")
    approved = _reference(app, "Maija", "correction", "approved")
    letter = reviewer_client.get(f"/staff/requests/{denied}/letter")
    assert letter.status_code == 200 and DEMO_REASON in _text(letter)
    assert "Matti Virtanen" in _text(letter)  # the customer's name and address: a recorded look-up
    with app.app_context():
        purposes = db.session.execute(select(AuditEvent.purpose).where(
            AuditEvent.action == "customer_viewed")).scalars().all()
        db.session.remove()
    assert f"request:{denied}" in purposes
    pdf = reviewer_client.get(f"/staff/requests/{approved}/letter.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="paatos-{approved}.pdf"'
    assert approved in _pdf_text(pdf)
    pending = _reference(app, "Pekka", "erasure", "pending")
    assert reviewer_client.get(f"/staff/requests/{pending}/letter").status_code == 404
    assert reviewer_client.get(f"/staff/requests/{pending}/letter.pdf").status_code == 404


def _decide_and_notify(app, reference: str, status: str, reason: str, details: dict, **extra) -> None:
    """Record a decision on `reference` and queue its email as the decision service does."""
    with app.test_request_context(base_url=app.config["PORTAL_BASE_URL"]):
        row = db.session.execute(
            select(PrivacyRequest).where(PrivacyRequest.reference == reference)).scalar_one()
        row.status, row.decided_at, row.decision_reason = status, datetime.now(UTC), reason
        row.decision_details = {"outcome": status, **details}
        service.notify(db.session, row, "request_decided", **extra)
        db.session.commit()
        db.session.remove()


def test_decision_email_carries_the_reasons_and_links_to_the_letter(app, client, auth, demo_queue):
    reference = _reference(app, "Matti", "restriction", "in_review")
    _decide_and_notify(app, reference, "denied", "Our newsletter is sent only with consent.",
                       {"locale": "en"})
    [mail] = [m for m in outbox_mail(app) if m.kind == "request_decided"]
    assert mail.recipient == MATTI
    for body in (mail.body_text, mail.body_html):
        assert "Our newsletter is sent only with consent." in body
        assert "Office of the Data Protection Ombudsman" in body and "tietosuoja@om.fi" in body
        assert "download it as a PDF" in body and f"/account/requests/{reference}" in body
    log_in(client, auth, MATTI)  # the link leads to the page with the letter
    assert client.get(f"/account/requests/{reference}/letter.pdf").status_code == 200


def test_erasure_email_tells_what_was_kept_and_why_without_a_dead_link(app, demo_queue):
    reference = _reference(app, "Pekka", "erasure", "pending")
    _decide_and_notify(app, reference, "partially_approved", "", {"locale": "en", "erasure": {
        "complete": False, "erased": ["quotes", "technical"], "purge_on": "2032-12-31",
        "kept": [{"code": "debt_collection", "until": None, "until_event": "collection_ended",
                  "invoices": ["L-2022-0312"]}]}}, customer=None, erased=True, locale="en")
    [mail] = [m for m in outbox_mail(app) if m.kind == "request_decided"]
    body = mail.body_text
    assert body.splitlines()[0].startswith("Hello,")  # no name: the person is erased
    assert "We erased the following:\n- your quotes\n- technical data such as your IP address\n" in body
    assert ("We keep the following:\n- your name\n- your contact details (email, phone)\n"
            "- your postal address\n- your invoices\n") in body
    assert "We keep them for these reasons:\n- An invoice of yours is in debt collection." in body
    assert "L-2022-0312" in body and "31 Dec 2032" in body  # the invoice, and the planned erasure date
    assert "Data Protection Ombudsman" in body  # partly approved: the complaint route
    assert "Keep this email" in body and "/account/requests/" not in body
