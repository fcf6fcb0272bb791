"""The company's look (/staff/look): an administrator sets the accent colour and the logo without code;
pages, emails and decision letters show them; /brand/logo and /brand/theme.css are served from the
database, cacheable and inert; a colour that fails AA is refused with its ratio and changes nothing."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.extensions import db
from portal.models import BrandLogo, Customer, PrivacyRequest
from portal.services import branding
from portal.services.controller import get_settings
from tests.conftest import csrf_token, post_form
from tests.functional.helpers import ANNA, audit_actions, page, sent_mail, switch_language
from tests.unit.test_branding import png, svg

LOGO = png(300, 100)  # drawn 120 × 40 in headers and emails
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@pytest.fixture
def admin(admin_client):
    """The demo administrator, reading the pages in English."""
    switch_language(admin_client, "en", "/staff/look")
    return admin_client


def _post(client, path: str, **data):
    """Post a form of the look page with its CSRF token."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/staff/look")})


def _upload(client, content: bytes, name: str):
    """Upload `content` as the logo file `name` through the page's form."""
    return _post(client, "/staff/look/logo", logo=(io.BytesIO(content), name))


def _accent(app) -> str | None:
    with app.app_context():
        colour = get_settings(db.session).accent_colour
        db.session.remove()
    return colour


def _logo(app) -> BrandLogo | None:
    with app.app_context():
        logo = db.session.get(BrandLogo, 1)
        if logo is not None:
            db.session.expunge(logo)
        db.session.remove()
    return logo


def _brand(app, *, logo: bytes | None = None, colour: str | None = None) -> None:
    """Set the look directly through the service (as `flask controller logo` does)."""
    with app.app_context():
        if logo is not None:
            branding.save_logo(db.session, logo, actor_kind="system")
        if colour is not None:
            branding.set_accent_colour(db.session, colour, actor_kind="system")
        db.session.remove()


def test_admin_sets_the_accent_colour_and_every_page_uses_it(app, admin, client):
    shown = page(admin.get("/staff/look"))
    assert '<a href="/staff/look" aria-current="page">Look</a>' in shown
    assert "Accent colour" in shown and 'type="color"' in shown and "/brand/theme.css" not in shown

    response = _post(admin, "/staff/look/colour", accent_colour="#6B2C91", picker="#0172ad")
    assert response.status_code == 303
    assert "Accent colour #6b2c91 saved." in page(admin.get("/staff/look"))
    assert _accent(app) == "#6b2c91"
    assert audit_actions(app)[-1] == "accent_colour_changed"

    front = page(client.get("/"))  # anyone, anywhere
    assert '<link rel="stylesheet" href="/brand/theme.css?v=6b2c91">' in front
    css = client.get("/brand/theme.css?v=6b2c91")
    assert css.status_code == 200 and css.mimetype == "text/css"
    text = css.get_data(as_text=True)
    assert "--pico-primary: #6b2c91;" in text and "--pico-primary-background: #6b2c91;" in text
    assert "prefers-color-scheme: dark" in text and "[data-theme=dark]" in text


def test_the_colour_picker_alone_sets_the_colour(app, admin):
    # Without JavaScript both inputs are sent: the one that was changed wins.
    assert _post(admin, "/staff/look/colour", accent_colour="", picker="#005a32").status_code == 303
    assert _accent(app) == "#005a32"
    assert _post(admin, "/staff/look/colour", accent_colour="", picker="#005a32").status_code == 303
    assert _accent(app) is None  # the typed colour emptied: the portal's default again
    assert "The portal&#39;s default colour is in use." in admin.get("/staff/look").get_data(as_text=True)


def test_a_colour_failing_aa_is_refused_with_its_ratio_and_changes_nothing(app, admin):
    _brand(app, colour="#6b2c91")
    entries = len(audit_actions(app))
    response = _post(admin, "/staff/look/colour", accent_colour="#ffcc00", picker="#6b2c91")
    assert response.status_code == 400
    shown = page(response)
    assert ("The colour #ffcc00 stands out too little from a white background (contrast 1.51:1, at least "
            "4.5:1 is needed). Choose a darker shade.") in shown
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*name="accent_colour"|'
                     r'<input[^>]*name="accent_colour"[^>]*aria-invalid="true"', shown)
    assert _accent(app) == "#6b2c91" and len(audit_actions(app)) == entries

    response = _post(admin, "/staff/look/colour", accent_colour="purple", picker="#6b2c91")
    assert response.status_code == 400
    assert "Write the colour as # and six hexadecimal digits, for example #0172ad." in page(response)
    assert _accent(app) == "#6b2c91"


def test_admin_uploads_a_logo_and_the_page_header_shows_it(app, admin, client):
    assert "No logo yet" in page(admin.get("/staff/look"))
    response = _upload(admin, LOGO, "logo.png")
    assert response.status_code == 303
    assert "Logo saved." in page(admin.get("/staff/look"))
    assert audit_actions(app)[-1] == "brand_logo_changed"
    digest = hashlib.sha256(LOGO).hexdigest()
    assert _logo(app).sha256 == digest

    header = page(client.get("/privacy"))
    assert (f'<a href="/" class="brand"><img src="/brand/logo?v={digest[:12]}" alt="Esimerkki Oy" '
            'width="120" height="40" class="brand-logo"></a>') in header


def test_the_logo_is_served_from_the_database_cacheable_and_inert(app, client, demo):
    assert client.get("/brand/logo").status_code == 404
    _brand(app, logo=LOGO)
    response = client.get("/brand/logo?v=whatever")
    assert response.status_code == 200 and response.data == LOGO
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["ETag"] == f'"{hashlib.sha256(LOGO).hexdigest()}"'
    assert set(response.headers["Cache-Control"].replace(" ", "").split(",")) == {"public", "max-age=3600"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get("/brand/logo", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""

    _brand(app, logo=svg())
    response = client.get("/brand/logo")
    assert response.headers["Content-Type"] == "image/svg+xml" and response.data == svg()
    assert response.headers["Content-Security-Policy"].strip() == SVG_POLICY
    assert client.get("/brand/logo", headers={"If-None-Match": f'"{hashlib.sha256(LOGO).hexdigest()}"'}
                      ).status_code == 200  # the old logo's tag no longer matches


def test_the_theme_is_cacheable_and_empty_without_a_colour(app, client, demo):
    response = client.get("/brand/theme.css")
    assert response.status_code == 200 and "--pico-primary" not in response.get_data(as_text=True)
    assert "/brand/theme.css" not in page(client.get("/"))
    assert "<strong>Esimerkki Oy</strong>" in page(client.get("/"))
    _brand(app, colour="#005a32")
    response = client.get("/brand/theme.css")
    assert "--pico-primary: #005a32;" in response.get_data(as_text=True)
    assert set(response.headers["Cache-Control"].replace(" ", "").split(",")) == {"public", "max-age=3600"}
    etag = response.headers["ETag"]
    assert client.get("/brand/theme.css", headers={"If-None-Match": etag}).status_code == 304
    _brand(app, colour="#6b2c91")
    assert client.get("/brand/theme.css", headers={"If-None-Match": etag}).status_code == 200


def test_a_logged_in_visitor_gets_no_cookie_with_the_shared_answers(app, admin):
    _brand(app, logo=LOGO, colour="#6b2c91")
    for path in ("/brand/logo", "/brand/theme.css"):
        response = admin.get(path)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers, path
    assert admin.get("/staff/look").headers["Cache-Control"] == "no-store"  # pages stay private


def test_an_svg_with_a_script_is_refused_with_the_reason_and_nothing_is_stored(app, admin):
    response = _upload(admin, svg(b'<rect onload="alert(1)" width="1" height="1"/>'), "logo.svg")
    assert response.status_code == 400
    assert ("The SVG file has an event handler attribute (onload), which is not accepted."
            in page(response))
    response = _upload(admin, b"GIF89a\x01\x00\x01\x00", "logo.gif")
    assert "The logo must be a PNG or SVG file." in page(response)
    response = _upload(admin, png(extra=b"\x00" * 300_000), "big.png")  # under the 2 MB request limit
    assert response.status_code == 400
    assert "The logo is larger than 256 kB. Make the file smaller and upload it again." in page(response)
    response = _post(admin, "/staff/look/logo")
    assert response.status_code == 400 and "Choose a PNG or SVG file." in page(response)
    assert _logo(app) is None and "brand_logo_changed" not in audit_actions(app)


def test_admin_removes_the_logo_and_the_name_shows_again(app, admin, client):
    _brand(app, logo=svg())
    assert 'class="brand-logo"' in page(client.get("/"))
    assert _post(admin, "/staff/look/logo/remove").status_code == 303
    assert "Logo removed." in page(admin.get("/staff/look"))
    assert _logo(app) is None and audit_actions(app)[-1] == "brand_logo_removed"
    assert "<strong>Esimerkki Oy</strong>" in page(client.get("/"))
    assert client.get("/brand/logo").status_code == 404


def test_a_reviewer_cannot_open_or_change_the_look(app, reviewer_client):
    assert reviewer_client.get("/staff/look").status_code == 403
    token = csrf_token(reviewer_client, "/staff/")
    assert 'href="/staff/look"' not in page(reviewer_client.get("/staff/"))
    for path, data in (("/staff/look/colour", {"accent_colour": "#000000"}),
                       ("/staff/look/logo", {"logo": (io.BytesIO(LOGO), "logo.png")}),
                       ("/staff/look/logo/remove", {})):
        assert reviewer_client.post(path, data={**data, "csrf_token": token}).status_code == 403
    assert _accent(app) is None and _logo(app) is None


def test_emails_carry_the_png_logo_and_the_colour(app, client, demo):
    _brand(app, logo=LOGO, colour="#6b2c91")
    post_form(client, "/get-access", email=ANNA)  # an invitation, queued and sent
    [mail] = [m for m in sent_mail(app) if ANNA in m.to]
    html = mail.alternatives[0][0]
    digest = hashlib.sha256(LOGO).hexdigest()
    assert (f'<img src="http://localhost/brand/logo?v={digest[:12]}" alt="Esimerkki Oy" width="120" '
            'height="40"') in html
    assert "<style>a { color: #6b2c91; }</style>" in html and "border-bottom: 3px solid #6b2c91" in html


def test_emails_name_the_company_instead_of_an_svg_logo(app, client, demo):
    _brand(app, logo=svg(), colour="#6b2c91")
    post_form(client, "/get-access", email=ANNA)
    [mail] = [m for m in sent_mail(app) if ANNA in m.to]
    html = mail.alternatives[0][0]
    assert "/brand/logo" not in html and ">Esimerkki Oy</p>" in html


def _decided_reference(app) -> str:
    with app.app_context():
        reference = db.session.execute(
            select(PrivacyRequest.reference).join(Customer).where(
                Customer.first_name == "Matti", PrivacyRequest.kind == "correction",
                PrivacyRequest.status == "denied")).scalars().first()
        db.session.remove()
    return reference


def test_decision_letters_carry_the_logo_and_the_colour_and_still_make_a_pdf(app, admin):
    _brand(app, logo=LOGO, colour="#6b2c91")
    reference = _decided_reference(app)
    letter = page(admin.get(f"/staff/requests/{reference}/letter"))
    assert '<p class="letter-logo"><img src="data:image/png;base64,' in letter
    assert 'alt="Esimerkki Oy"' in letter
    assert '<link rel="stylesheet" href="/brand/theme.css?v=6b2c91">' in letter

    pdf = admin.get(f"/staff/requests/{reference}/letter.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    first = PdfReader(io.BytesIO(pdf.data)).pages[0]
    assert len(first.images) == 1  # the logo, embedded: no network was needed
    assert reference in first.extract_text()


def test_a_letter_with_an_svg_logo_still_renders(app, admin):
    _brand(app, logo=svg())
    reference = _decided_reference(app)
    assert "data:image/svg+xml;base64," in page(admin.get(f"/staff/requests/{reference}/letter"))
    pdf = admin.get(f"/staff/requests/{reference}/letter.pdf")
    assert pdf.status_code == 200 and reference in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()


@pytest.mark.parametrize("value", ["\x00", "#\x000172ad", "😀" * 64, '<script>alert("x")</script>',
                                   '"><img src=x onerror=alert(1)>', "a" * 5000, "#0172ad\r\nX: y"])
def test_hostile_colour_input_is_refused_without_echoing_markup(app, admin, value):
    response = _post(admin, "/staff/look/colour", accent_colour=value, picker=value)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body and "<img src=x" not in body
    assert _accent(app) is None
