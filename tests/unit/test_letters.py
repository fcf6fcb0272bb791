"""Decision letters: the decision, reasons, what was kept and the Ombudsman route, in the letter's
language, as HTML and as a PDF whose text (ä and ö included) can be read back."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.extensions import db
from portal.models import Customer, PrivacyRequest
from portal.services import letters
from portal.services.controller import get_settings
from portal.services.holds import HoldCode, erasure_holds
from portal.templating import SUPERVISORY_AUTHORITY
from tests.functional.helpers import translated

DECIDED_AT = datetime(2026, 11, 20, 11, 30, tzinfo=UTC)
FI_REASON = "Puhelinnumero ei ole sinun nimissäsi, joten emme voi vaihtaa sitä."
EN_REASON = "The Trade Register still shows the old company name."


@pytest.fixture
def ctx(app, demo_queue):
    """A request context over the demo register with its requests (url_for needs one)."""
    with app.test_request_context(base_url=app.config["PORTAL_BASE_URL"]):
        yield app
        db.session.remove()


def _request(first_name: str, kind: str) -> PrivacyRequest:
    """The demo customer's first request of `kind`."""
    return db.session.execute(
        select(PrivacyRequest).join(Customer).where(Customer.first_name == first_name,
                                                    PrivacyRequest.kind == kind)
        .order_by(PrivacyRequest.id)).scalars().first()


def _decide(request: PrivacyRequest, status: str, reason: str | None, **details) -> PrivacyRequest:
    """Record a decision as the decision service does (status, time, reasons, details)."""
    request.status, request.decided_at, request.decision_reason = status, DECIDED_AT, reason
    request.decision_details = {"outcome": status, **details}
    db.session.commit()
    return request


def _words(html: str) -> str:
    """The letter's text with tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&").strip()


def _pdf_text(request: PrivacyRequest) -> str:
    """The text a reader gets out of the letter's PDF, whitespace collapsed."""
    pdf = letters.letter_pdf(request, get_settings(db.session))
    assert pdf.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", text)


def test_denied_correction_in_finnish_is_the_written_certificate_with_the_ombudsman(ctx):
    request = _decide(_request("Maija", "correction"), "denied", FI_REASON, locale="fi")
    html = letters.letter_html(request, get_settings(db.session))
    shown = _words(html)
    assert '<html lang="fi">' in html
    assert request.reference in shown and FI_REASON in shown
    assert "20.11.2026" in shown  # the date of the decision, Finnish format
    assert "Maija Meikäläinen" in shown and "Koivukuja 3 A 5" in shown  # addressed to her
    assert "Esimerkki Oy" in shown and "1234567-1" in shown  # the controller's letterhead
    assert translated(ctx, "This decision is the written certificate of the reasons why your "
                      "correction request was denied.") in shown
    for value in ("Tietosuojavaltuutetun toimisto", SUPERVISORY_AUTHORITY["postal"],
                  SUPERVISORY_AUTHORITY["phone"], SUPERVISORY_AUTHORITY["email"]):
        assert value in shown
    assert translated(ctx, "Privacy request handler") in shown
    assert "kasittelija@" not in html  # the handler's title, never their name or address

    text = _pdf_text(request)
    assert request.reference in text and "Tietosuojavaltuutetun toimisto" in text
    assert "emme voi vaihtaa" in text and "nimissäsi" in text
    assert "päätös" in text.lower() and "Meikäläinen" in text  # ä and ö survive the PDF
    assert letters.letter_filename(request) == f"paatos-{request.reference}.pdf"


def test_denied_correction_in_english(ctx):
    request = _decide(_request("Matti", "correction"), "denied", EN_REASON, locale="en")
    html = letters.letter_html(request, get_settings(db.session))
    shown = _words(html)
    assert '<html lang="en">' in html
    assert "We have denied your request." in shown
    assert "This decision is the written certificate of the reasons why your correction request " \
           "was denied." in shown
    assert "Organisation Testiyhtiö Group Oy not corrected" in shown  # what was asked, and refused
    assert "Office of the Data Protection Ombudsman (Tietosuojavaltuutetun toimisto)" in shown
    assert "take the matter to court" in shown

    text = _pdf_text(request)
    assert request.reference in text and EN_REASON in text
    assert "Data Protection Ombudsman" in text and "Testiyhtiö" in text
    assert letters.letter_filename(request) == f"decision-{request.reference}.pdf"


def test_letter_is_in_the_language_of_the_decision_not_of_the_reader(ctx):
    request = _decide(_request("Matti", "correction"), "denied", EN_REASON, locale="fi")
    html = letters.letter_html(request, get_settings(db.session))
    assert '<html lang="fi">' in html and "Tietosuojavaltuutetun toimisto" in html
    assert "Office of the Data Protection Ombudsman" not in html
    assert letters.letter_filename(request).startswith("paatos-")


def _pekka_erasure() -> PrivacyRequest:
    """Pekka's erasure, partly carried out: his debt in collection and the books keep some data."""
    request = _request("Pekka", "erasure")
    assessment = erasure_holds(request.customer, date(2026, 11, 20))
    assert {h.code for h in assessment.holds} >= {HoldCode.DEBT_COLLECTION, HoldCode.ACCOUNTING_BOOKS}
    request.customer.erased_at = DECIDED_AT  # the letter is rendered after the erasure
    return _decide(request, "partially_approved", "Perintä on kesken.", locale="fi", erasure={
        "complete": False, "erased": [str(i) for i in assessment.erasable],
        "kept": [h.as_json() for h in assessment.holds], "purge_on": "2032-12-31"},
        notices=[{"recipient": "Perintä Esimerkki Oy", "method": "email"}])


def _section(shown: str, start: str, end: str) -> str:
    """The letter's text from `start` up to `end`."""
    return shown[shown.index(start):shown.index(end)]


def test_partially_approved_erasure_tells_what_was_erased_and_what_is_kept_why_and_until_when(ctx):
    request = _pekka_erasure()
    shown = _words(letters.letter_html(request, get_settings(db.session)))
    say = lambda msgid, **values: translated(ctx, msgid, **values)  # noqa: E731
    erased = _section(shown, say("We erased the following:"), say("We keep the following:"))
    kept = _section(shown, say("We keep the following:"), say("We keep them for these reasons:"))
    why = _section(shown, say("We keep them for these reasons:"), say("Your rights"))
    for label in ("your organisation, position and business ID", "your quotes",
                  "technical data such as your IP address", "the record of where your data came from"):
        assert say(label) in erased and say(label) not in kept
    for label in ("your name", "your contact details (email, phone)", "your postal address",
                  "your billing details", "your orders", "your invoices"):
        assert say(label) in kept and say(label) not in erased
    assert say("An invoice of yours is in debt collection. We keep what the collection needs until it "
               "ends.") in why and "L-2022-0312" in why
    assert say("We keep them until %(date)s.", date="31.12.2032") in why  # books: Kirjanpitolaki 2:10
    assert say("We keep them until %(date)s.", date="31.12.2028") in why  # vouchers
    assert say("Planned date for erasing what we keep: %(date)s.", date="31.12.2032") in why
    assert "Perintä Esimerkki Oy" in why  # Art 19: the recipient told
    assert "Perintä on kesken." in shown and "Tietosuojavaltuutetun toimisto" in shown
    # Erased: the letter is addressed by its reference alone, never by the erased person's details.
    assert "Pekka" not in shown and "Mäkipolku" not in shown

    text = _pdf_text(request)
    assert request.reference in text and "Tietosuojavaltuutetun toimisto" in text
    assert "Perintä on kesken." in text and "L-2022-0312" in text


def test_letter_renders_from_the_request_alone_once_the_customer_row_is_gone(ctx):
    request = _pekka_erasure()
    request.customer_id = None
    db.session.commit()
    db.session.expire_all()
    shown = _words(letters.letter_html(request, get_settings(db.session)))
    assert translated(ctx, "Request %(reference)s", reference=request.reference) in shown
    assert "Perintä on kesken." in shown and "31.12.2032" in shown


def test_approved_restriction_says_what_is_restricted_and_names_no_complaint(ctx):
    request = _decide(_request("Matti", "restriction"), "approved", None, locale="en",
                      flag={"scope": "marketing", "purpose": ""},
                      notices=[{"recipient": "Luottotieto Esimerkki Oy", "method": "email"}])
    html = letters.letter_html(request, get_settings(db.session))
    shown = _words(html)
    assert "We have approved your request." in shown
    assert "We have restricted the processing of your data for marketing." in shown
    assert "We will tell you before we lift the restriction." in shown
    assert "Luottotieto Esimerkki Oy" in shown
    assert "Ombudsman" not in shown and "Reasons" not in shown

    text = _pdf_text(request)
    assert request.reference in text and "restricted the processing of your data for marketing" in text


def test_an_undecided_request_has_no_letter(ctx):
    request = _request("Liisa", "correction")  # extended, still in review
    assert not letters.has_letter(request)
    with pytest.raises(letters.NoLetter):
        letters.letter_html(request, get_settings(db.session))
    with pytest.raises(letters.NoLetter):
        letters.letter_pdf(request, get_settings(db.session))


def test_pdf_rendering_reads_our_static_files_and_nothing_else(ctx, tmp_path):
    fetcher = letters.static_only_fetcher(letters.Path(ctx.static_folder))
    css = (letters.Path(ctx.static_folder) / letters.STYLESHEET).as_uri()
    response = fetcher.fetch(css)
    assert b"@page" in response.read()
    response.close()
    outside = tmp_path / "secret.css"
    outside.write_text("body { color: red }")
    for url in ("https://example.com/track.css", "http://127.0.0.1:1/x.png", outside.as_uri(),
                css.replace("letter.css", "../templates/base.html"), "ftp://example.com/x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
