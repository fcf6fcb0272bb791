"""Flask-Security's pages in our own layout: a card, a real h1, our labels, errors by their field.

Each page is rendered in both languages. Expected texts come from the catalogues (ours, or
Flask-Security's for its own messages), so the English pages are checked word for word and the
Finnish ones against whatever the Finnish catalogue holds.
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from bs4 import BeautifulSoup
from flask_babel import force_locale, ngettext
from flask_security.utils import get_message

from portal.demo import ADMIN_EMAIL, DEMO_PASSWORD, STAFF_EMAIL
from portal.extensions import db
from tests.conftest import AuthActions, log_in_staff, post_form
from tests.factories import PASSWORD, UserFactory
from tests.functional.helpers import MAIJA, link_in, sent_mail, switch_language, translated

# Flask-Security 5.9 builds its method choices as tuples, deprecated in WTForms 3.3.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Passing SelectField choices as tuples:DeprecationWarning")

LANGUAGES = ["en", "fi"]
# What Flask-Security's own templates print and ours never do.
LIBRARY_MARKUP = ("fs-center", "fs-div", "fs-error-msg", "fs-gap", "fs-important", "Submit",
                  "QRcode", "resource", "Two-Factor", "Contact Administrator")
KEY_RE = re.compile(r"^[A-Z2-7]{4}(?:-[A-Z2-7]{4}){5,}$")
RECOVERY_CODE_RE = re.compile(r"^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$")
NEW_STAFF = "uusi.kasittelija@esimerkki.example"
SECURITY_TEMPLATES = ("FORGOT_PASSWORD", "RESET_PASSWORD", "CHANGE_PASSWORD", "LOGIN_USER", "VERIFY",
                      "TWO_FACTOR_SETUP", "TWO_FACTOR_VERIFY_CODE", "MULTI_FACTOR_RECOVERY_CODES",
                      "MULTI_FACTOR_RECOVERY")


def ours(response, lang: str) -> BeautifulSoup:
    """The page, checked to be in our layout and language, with none of the library's markup."""
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    for marker in LIBRARY_MARKUP:
        assert marker not in html, marker
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html["lang"] == lang
    assert soup.select_one("a.skip-link[href='#main']") is not None
    assert soup.select_one("header nav a.brand") is not None
    assert soup.select_one("main#main article.narrow") is not None
    return soup


def heading(soup: BeautifulSoup) -> str:
    """The text of the page's one h1."""
    [h1] = soup.find_all("h1")
    return h1.get_text(" ", strip=True)


def form_named(soup: BeautifulSoup, name: str):
    """The form called `name`, which must leave checking to the server (novalidate)."""
    form = soup.find("form", attrs={"name": name})
    assert form is not None, name
    assert form.has_attr("novalidate")
    return form


def label_of(soup: BeautifulSoup, field_id: str) -> str:
    """The text of the label for the field."""
    return soup.find("label", attrs={"for": field_id}).get_text(" ", strip=True)


def error_of(soup: BeautifulSoup, field_id: str) -> str:
    """The error message(s) the field points to with aria-describedby."""
    field = soup.find(id=field_id)
    assert field.get("aria-invalid") == "true"
    ids = [i for i in field["aria-describedby"].split() if i.startswith(f"{field_id}-error")]
    errors = [soup.find(id=i) for i in ids]
    assert errors and all("field-error" in e["class"] for e in errors)
    return " ".join(e.get_text(" ", strip=True) for e in errors)


def text(app, lang: str, msgid: str, **values) -> str:
    """Our catalogue's `msgid` in `lang`."""
    return translated(app, msgid, lang, **values)


def library_text(app, lang: str, key: str, **values) -> str:
    """Flask-Security's message `key` in `lang`, as its views show it."""
    with app.test_request_context(), force_locale(lang):
        return str(get_message(key, **values)[0])


def flashes(soup: BeautifulSoup) -> list[str]:
    """The flashed messages at the top of the page."""
    return [p.get_text(" ", strip=True) for p in soup.select("p.flash")]


def link(soup: BeautifulSoup, href: str) -> str:
    """The text of the page's own link (not the header's) to `href`, which must exist."""
    found = soup.select_one("main article").find("a", href=href)
    assert found is not None, href
    return found.get_text(" ", strip=True)


def reset_path(app, client) -> str:
    """Ask for a reset link for Maija; the path of the link in the mail."""
    post_form(client, "/reset", email=MAIJA)
    return link_in(sent_mail(app)[-1], "/reset/")


def key_of(logins, email: str) -> str:
    """The demo staff member's authenticator key."""
    [staff] = [login for login in logins if login.email == email]
    return staff.note.rsplit(": ", 1)[1].replace("-", "")


def wrong_code(key: str) -> str:
    """A six-digit code that is not valid for `key` now (nor a couple of minutes either side)."""
    totp = pyotp.TOTP(key.replace("-", ""))
    valid = {totp.at(time.time() + seconds) for seconds in range(-150, 151, 30)}
    return next(c for c in (f"{n:06d}" for n in range(100000, 100100)) if c not in valid)


def test_every_security_page_comes_from_our_templates(app):
    """No page of the enabled features falls back to the library's template."""
    for feature in SECURITY_TEMPLATES:
        name = app.config[f"SECURITY_{feature}_TEMPLATE"]
        assert name.startswith("security/")
        source, filename, _ = app.jinja_loader.get_source(app.jinja_env, name)  # ours only
        assert "/portal/templates/security/" in filename
        assert app.jinja_env.get_template(name).filename == filename


@pytest.mark.parametrize("lang", LANGUAGES)
def test_forgotten_password_page(app, client, demo, lang):
    switch_language(client, lang)
    soup = ours(client.get("/reset"), lang)
    assert heading(soup) == text(app, lang, "Forgotten password?")
    form_named(soup, "forgot_password_form")
    assert label_of(soup, "email") == text(app, lang, "Email address")
    assert link(soup, "/login") == text(app, lang, "Back to log-in")

    soup = ours(post_form(client, "/reset", email=""), lang)
    assert error_of(soup, "email") == text(app, lang, "Enter your email address.")
    assert sent_mail(app) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_reset_password_page(app, client, demo, lang):
    switch_language(client, lang)
    path = reset_path(app, client)
    soup = ours(client.get(path), lang)
    assert heading(soup) == text(app, lang, "Set a new password")
    form_named(soup, "reset_password_form")
    assert label_of(soup, "password") == text(app, lang, "New password")
    assert label_of(soup, "password_confirm") == text(app, lang, "Password again")
    assert link(soup, "/login") == text(app, lang, "Back to log-in")

    soup = ours(post_form(client, path, password="Kolme-sanaa-perakkain-43",
                          password_confirm="Kolme-sanaa-perakkain-44"), lang)
    assert error_of(soup, "password_confirm") == library_text(app, lang, "RETYPE_PASSWORD_MISMATCH")
    soup = ours(post_form(client, path, password="password1234", password_confirm="password1234"), lang)
    assert error_of(soup, "password") == text(
        app, lang, "This password is too common and easy to guess. Choose a longer phrase of your own.")
    assert AuthActions(app.test_client()).login(MAIJA, DEMO_PASSWORD).status_code == 302  # unchanged


@pytest.mark.parametrize("lang", LANGUAGES)
def test_password_confirmation_page(app, client, auth, demo, lang):
    auth.login(MAIJA, DEMO_PASSWORD)
    switch_language(client, lang)
    with client.session_transaction() as session:
        session["fs_paa"] = time.time() - 3600  # the log-in is no longer fresh
    to_verify = client.get("/account/two-step")
    assert to_verify.status_code == 302 and "/verify" in to_verify.headers["Location"]
    soup = ours(client.get(to_verify.headers["Location"]), lang)
    assert heading(soup) == text(app, lang, "Confirm your password to continue")
    form_named(soup, "verify_form")
    assert label_of(soup, "password") == text(app, lang, "Password")
    assert link(soup, "/account") == text(app, lang, "Cancel")

    soup = ours(post_form(client, "/verify", password="Ei-oikea-salasana-1"), lang)
    assert error_of(soup, "password") == library_text(app, lang, "INVALID_PASSWORD")
    assert client.get("/account/two-step").status_code == 302  # still not fresh


@pytest.mark.parametrize("lang", LANGUAGES)
def test_two_step_set_up_pages(app, client, auth, demo, lang):
    auth.login(MAIJA, DEMO_PASSWORD)
    switch_language(client, lang)
    soup = ours(client.get("/account/two-step"), lang)
    assert heading(soup) == text(app, lang, "Two-step verification")
    assert text(app, lang, "Two-step verification is not on yet.") in soup.get_text()
    form = form_named(soup, "two_factor_setup_form")
    radio = form.find("input", attrs={"type": "radio", "value": "authenticator"})
    assert radio.find_parent("label") is not None  # the radio and its text are one label
    assert radio.find_parent("fieldset").legend.get_text(strip=True) == text(
        app, lang, "Where you get one-time codes")
    assert link(soup, "/account") == text(app, lang, "Cancel")

    soup = ours(post_form(client, "/account/two-step", setup="authenticator"), lang)
    assert heading(soup) == text(app, lang, "Two-step verification")
    image = soup.find("img")
    assert image["src"].startswith("data:image/svg+xml;base64,")
    assert image["alt"] == text(app, lang, "QR code for adding the portal to your authenticator app")
    key = soup.find("code").get_text(strip=True)
    assert KEY_RE.match(key)
    # The authenticator app lists the account under the company's name, in either language.
    named = text(app, lang, "If the app asks for a name, use %(name)s.", name="Esimerkki Oy")
    assert named in soup.get_text()
    with app.app_context():
        factory = app.extensions["security"].totp_factory
        uri = factory.get_totp_uri(MAIJA, factory.generate_totp_secret())
    assert "issuer=Esimerkki%20Oy" in uri, uri
    form = form_named(soup, "two_factor_verify_code_form")
    code = form.find("input", attrs={"name": "code"})
    assert (code["inputmode"], code["autocomplete"]) == ("numeric", "one-time-code")
    assert label_of(soup, "code") == text(app, lang, "One-time code")
    assert link(soup, "/account") == text(app, lang, "Cancel")

    refused = post_form(client, form["action"], code=wrong_code(key))
    soup = ours(client.get(refused.headers["Location"]), lang)
    assert flashes(soup) == [library_text(app, lang, "TWO_FACTOR_INVALID_TOKEN")]
    assert text(app, lang, "Two-step verification is not on yet.") in soup.get_text()

    soup = ours(post_form(client, "/account/two-step", setup="authenticator"), lang)
    key = soup.find("code").get_text(strip=True)
    action = form_named(soup, "two_factor_verify_code_form")["action"]
    assert post_form(client, action, code=pyotp.TOTP(key.replace("-", "")).now()).status_code == 302
    soup = ours(client.get("/account/two-step"), lang)
    assert text(app, lang, "Two-step verification is on.") in soup.get_text()
    labels = [label.get_text(" ", strip=True) for label in soup.find("fieldset").find_all("label")]
    assert labels == [text(app, lang, "Turn two-step verification off"),
                      text(app, lang, "Set up a new authenticator app (the old one stops working)")]
    assert soup.select_one("main article").find("a", href="/account/recovery-codes") is None  # staff only


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_set_up_at_first_log_in(app, client, auth, lang):
    with app.app_context():
        UserFactory(customer=None, email=NEW_STAFF, roles=["reviewer"])
        db.session.commit()
        db.session.remove()
    switch_language(client, lang)
    assert "/account/two-step" in auth.login(NEW_STAFF, PASSWORD).headers["Location"]
    soup = ours(client.get("/account/two-step"), lang)
    assert heading(soup) == text(app, lang, "Two-step verification")
    assert text(app, lang, "You must set it up before you can use the portal.") in soup.get_text()
    form_named(soup, "two_factor_setup_form")
    assert link(soup, "/login") == text(app, lang, "Cancel")

    soup = ours(post_form(client, "/account/two-step", setup="authenticator"), lang)
    assert form_named(soup, "two_factor_verify_code_form")["action"] == "/login/code"
    reminder = text(app, lang, "Once two-step verification is on, make recovery codes (Recovery codes "
                               "in the staff menu). With them you can log in even if you lose your phone.")
    assert reminder in soup.get_text()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_one_time_code_page(app, client, auth, demo, lang):
    switch_language(client, lang)
    assert "/login/code" in auth.login(STAFF_EMAIL, DEMO_PASSWORD).headers["Location"]
    soup = ours(client.get("/login/code"), lang)
    assert heading(soup) == text(app, lang, "Enter your one-time code")
    form = form_named(soup, "two_factor_verify_code_form")
    code = form.find("input", attrs={"name": "code"})
    assert (code["inputmode"], code["autocomplete"]) == ("numeric", "one-time-code")
    assert label_of(soup, "code") == text(app, lang, "One-time code")
    assert link(soup, "/login") == text(app, lang, "Back to log-in")
    assert soup.select_one("main article").find("a", href="/login/recovery") is None  # none made yet

    soup = ours(post_form(client, "/login/code", code=wrong_code(key_of(demo, STAFF_EMAIL))), lang)
    assert error_of(soup, "code") == library_text(app, lang, "INVALID_CODE")
    soup = ours(client.get("/login/code/help"), lang)  # the library's help page is our code page
    assert heading(soup) == text(app, lang, "Enter your one-time code")
    assert soup.find("input", attrs={"type": "radio"}) is None


@pytest.mark.parametrize("lang", LANGUAGES)
def test_recovery_codes_page(app, client, demo_queue, lang):
    staff = log_in_staff(client, demo_queue, ADMIN_EMAIL)
    switch_language(staff, lang)
    soup = ours(staff.get("/account/two-step"), lang)  # two-step is on: recovery codes offered
    assert link(soup, "/account/recovery-codes") == text(app, lang, "Make recovery codes")

    soup = ours(staff.get("/account/recovery-codes"), lang)
    assert heading(soup) == text(app, lang, "Recovery codes")
    assert soup.select_one("nav.staff-nav") is not None
    assert text(app, lang, "You have no recovery codes yet.") in soup.get_text()
    button = form_named(soup, "mf_recovery_codes_form").find("button")
    assert button.get_text(strip=True) == text(app, lang, "Make recovery codes")
    assert link(soup, "/staff/") == text(app, lang, "Back to the request queue")

    soup = ours(post_form(staff, "/account/recovery-codes"), lang)
    codes = [item.get_text(strip=True) for item in soup.select("main ol li")]
    assert len(codes) == 8 and all(RECOVERY_CODE_RE.match(c) for c in codes)
    assert text(app, lang, "Print these codes or save them in a password manager now, and keep them "
                           "where others cannot see them. They are not shown again.") in soup.get_text()

    again = staff.get("/account/recovery-codes?show_codes=1")
    soup = ours(again, lang)
    assert not any(c in again.get_data(as_text=True) for c in codes)  # shown once only
    with app.test_request_context(), force_locale(lang):
        left = ngettext("You have %(num)d unused recovery code.",
                        "You have %(num)d unused recovery codes.", 8)
    assert left in soup.get_text()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_recovery_code_log_in_page(app, client, demo_queue, lang):
    staff = log_in_staff(app.test_client(), demo_queue, ADMIN_EMAIL)
    made = BeautifulSoup(post_form(staff, "/account/recovery-codes").get_data(as_text=True), "html.parser")
    first = made.select_one("main ol li").get_text(strip=True)
    switch_language(client, lang)
    AuthActions(client).login(ADMIN_EMAIL, DEMO_PASSWORD)
    soup = ours(client.get("/login/code"), lang)
    assert link(soup, "/login/recovery") == text(app, lang, "Use a recovery code instead")

    soup = ours(client.get("/login/recovery"), lang)
    assert heading(soup) == text(app, lang, "Log in with a recovery code")
    form_named(soup, "mf_recovery_form")
    assert label_of(soup, "code") == text(app, lang, "Recovery code")
    assert link(soup, "/login/code") == text(app, lang, "Use a one-time code instead")

    soup = ours(post_form(client, "/login/recovery", code="aaaa-bbbb-cccc"), lang)
    assert error_of(soup, "code") == library_text(app, lang, "INVALID_RECOVERY_CODE")
    assert client.get("/staff/").status_code != 200
    assert post_form(client, "/login/recovery", code=first).status_code == 302
    assert client.get("/staff/").status_code == 200
