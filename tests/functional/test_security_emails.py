"""Account security emails (reset link, new password, changed password, two-step, recovery codes)
are ours: our subject and wording, the company's name, when it happened, what to do if it was
not you, a whole HTML document, and the account's saved language whatever the request's.

Mail goes through a real SMTP server (aiosmtpd). Expected texts come from our catalogue, so the
English mail is checked word for word and the Finnish against whatever the Finnish catalogue
holds (the greeting and the date format are Finnish already).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.auth import security_mail
from portal.demo import ADMIN_EMAIL, DEMO_PASSWORD
from portal.extensions import db
from portal.i18n import short_datetime
from portal.models import AuditEvent
from portal.models.types import utcnow
from tests.conftest import AuthActions, csrf_token, log_in_staff, post_form, set_password_form
from tests.functional.helpers import MAIJA, MATTI, outbox_mail, switch_language, translated
from tests.functional.test_english_wording import BANNED
from tests.serving import SMTPServer

# Flask-Security 5.9 builds its two-step method choices as tuples, deprecated in WTForms 3.3.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Passing SelectField choices as tuples:DeprecationWarning")

COMPANY = "Esimerkki Oy"
PRIVACY_EMAIL = "tietosuoja@esimerkki.example"
NEW_PASSWORD = "Uusi-pitka-salasana-2026"
# Maija's account is in Finnish and Matti's in English; each asks in the other language.
ACCOUNTS = [pytest.param(MAIJA, "Maija", "fi", "en", id="fi-account"),
            pytest.param(MATTI, "Matti", "en", "fi", id="en-account")]
NOT_YOU = "If you did not do this yourself, ask for a new password right away with this link:"
ASKED = ("We received a request on %(when)s to set a new password for your account in the %(company)s "
         "privacy portal. Set your new password with this link:")
VALID_UNTIL = "The link works once and is valid until %(expires)s."
IGNORE = "If you did not ask for a new password, you can ignore this message. Your password stays as it is."
RESET_DONE = ("A new password was set for your account in the %(company)s privacy portal on %(when)s, with a "
              "link sent to this email address.")
LOGGED_OUT = "You were logged out on every device where you were logged in. Log in with your new password:"
CHANGED = "The password of your account in the %(company)s privacy portal was changed on %(when)s."
STAY = "You stay logged in on the device where you changed it. On other devices you were logged out."
CODE_FORM_RE = re.compile(r'<form action="([^"]+)" method="post" name="two_factor_verify_code_form"')
TELL_US = "Tell us about it too at %(email)s."
# Flask-Security's own email wording (its catalogue, either language) never reaches anyone.
LIBRARY_MSGIDS = ("Use %(reset_link)s to reset your password.", "This link will expire in %(within)s.",
                  "Your password has been reset.", "Your password has been changed.",
                  "If you did not change your password, click the link below to reset it.",
                  "Password reset instructions", "Your password has been reset",
                  "Your password has been changed", "can not access mail account")


@pytest.fixture
def smtp_server():
    """A running SMTP server, always stopped at the end."""
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config(app_config, smtp_server):
    """The test configuration, sending mail by SMTP to `smtp_server`."""
    app_config.MAIL_BACKEND = "smtp"
    app_config.MAIL_SERVER = "127.0.0.1"
    app_config.MAIL_PORT = smtp_server.port
    app_config.MAIL_USE_TLS = False
    app_config.MAIL_USE_SSL = False
    app_config.MAIL_TIMEOUT = 5
    return app_config


class Mail:
    """One received email: subject, plain text and HTML part."""

    def __init__(self, recipients, message):
        self.to = recipients
        self.subject = message["Subject"]
        self.text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        self.html = message.get_body(("html",)).get_content()


def received(smtp_server) -> list[Mail]:
    """Everything the SMTP server has received, oldest first."""
    return [Mail(recipients, message) for recipients, message in smtp_server.messages()]


def shown(app, lang: str, moment) -> str:
    """How an email in `lang` shows a date and time (Finnish time)."""
    with app.test_request_context(), force_locale(lang):
        return short_datetime(moment)


def shown_between(app, lang: str, earliest, latest) -> list[str]:
    """The ways a moment between `earliest` and `latest` can be shown (to the minute)."""
    return [shown(app, lang, earliest), shown(app, lang, latest)]


def library_wording(app, lang: str) -> list[str]:
    """Flask-Security's email sentences in `lang`, split where its placeholders go."""
    domain = app.extensions["security"].i18n_domain
    pieces = []
    with app.test_request_context(), force_locale(lang):
        for msgid in LIBRARY_MSGIDS:
            text = domain.gettext(msgid, reset_link="\x00", within="\x00")
            pieces += [piece for piece in text.split("\x00") if len(piece.strip()) > 8]
    return pieces


def assert_ours(app, mail: Mail, lang: str, *, subject: str, name: str | None, says: list[str]) -> None:
    """The email is our template in `lang`: subject, greeting, sentences, layout, no library text."""
    assert mail.subject == translated(app, subject, lang, company=COMPANY)
    assert COMPANY in mail.subject
    greeting = ("Hello %(name)s,", {"name": name}) if name else ("Hello,", {})
    assert mail.text.splitlines()[0] == translated(app, greeting[0], lang, **greeting[1])
    for sentence in says:
        assert sentence in mail.text, sentence
        assert sentence in html_text(mail.html), sentence
    assert COMPANY in mail.text and COMPANY in mail.html
    assert mail.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{lang}">' in mail.html
    for piece in library_wording(app, "fi") + library_wording(app, "en") + ["Please click the link below"]:
        assert piece not in mail.text and piece not in mail.html, piece
    if lang == "en":
        found = BANNED.search(re.sub(r"https?://\S+", " ", mail.text))  # words, not addresses
        assert not found, found.group(0)


def html_text(html: str) -> str:
    """The HTML part's text, tags removed and entities decoded, lines joined."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def not_you(app, lang: str) -> list[str]:
    """What a notice tells someone who did not make the change."""
    return [translated(app, NOT_YOU, lang), translated(app, TELL_US, lang, email=PRIVACY_EMAIL)]


@pytest.mark.parametrize(("email", "name", "account_lang", "site_lang"), ACCOUNTS)
def test_reset_link_mail_is_ours_in_the_accounts_language(app, client, demo, smtp_server,
                                                          email, name, account_lang, site_lang):
    switch_language(client, site_lang)
    before = utcnow()
    post_form(client, "/reset", email=email)
    after = utcnow()

    [mail] = received(smtp_server)
    assert mail.to == [email]
    within = app.config["SECURITY_RESET_PASSWORD_WITHIN"]
    assert_ours(app, mail, account_lang, subject="A new password for the %(company)s privacy portal",
                name=name, says=[translated(app, IGNORE, account_lang)])
    asked = [translated(app, ASKED, account_lang, when=when, company=COMPANY)
             for when in shown_between(app, account_lang, before, after)]
    assert any(sentence in mail.text for sentence in asked), mail.text
    expiry = [translated(app, VALID_UNTIL, account_lang, expires=when)
              for when in shown_between(app, account_lang, before + within, after + within)]
    assert any(sentence in mail.text for sentence in expiry), mail.text
    assert any(sentence in html_text(mail.html) for sentence in expiry)
    if account_lang == "fi":
        assert re.search(r"\d{1,2}\.\d{1,2}\.\d{4} klo \d{1,2}\.\d{2}", mail.text)

    link = re.search(r"http://localhost(/reset/\S+)", mail.text).group(1)
    assert f'href="http://localhost{link}"' in mail.html
    assert client.get(link).status_code == 200  # the link opens the new-password page


@pytest.mark.parametrize(("email", "name", "account_lang", "site_lang"), ACCOUNTS)
def test_new_password_notice_is_ours_in_the_accounts_language(app, client, demo, smtp_server,
                                                              email, name, account_lang, site_lang):
    switch_language(client, site_lang)
    post_form(client, "/reset", email=email)
    link = re.search(r"http://localhost(/reset/\S+)", received(smtp_server)[0].text).group(1)
    before = utcnow()
    assert set_password_form(client, link, NEW_PASSWORD).status_code == 302
    after = utcnow()

    [_, mail] = received(smtp_server)
    assert mail.to == [email]
    assert_ours(app, mail, account_lang, subject="New password set for the %(company)s privacy portal",
                name=name, says=not_you(app, account_lang) + [translated(app, LOGGED_OUT, account_lang)])
    happened = [translated(app, RESET_DONE, account_lang, company=COMPANY, when=when)
                for when in shown_between(app, account_lang, before, after)]
    assert any(sentence in mail.text for sentence in happened), mail.text
    assert "http://localhost/reset\n" in mail.text  # where to ask for another password
    assert 'href="http://localhost/reset"' in mail.html
    assert "http://localhost/login" in mail.text


@pytest.mark.parametrize(("email", "name", "account_lang", "site_lang"), ACCOUNTS)
def test_password_changed_notice_is_ours_in_the_accounts_language(app, client, demo, smtp_server,
                                                                  email, name, account_lang, site_lang):
    # The browser asks for the site's language; a language chosen on the page would become the account's.
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = site_lang
    AuthActions(client).login(email, DEMO_PASSWORD)
    before = utcnow()
    response = post_form(client, "/account/password", password=DEMO_PASSWORD, new_password=NEW_PASSWORD,
                         new_password_confirm=NEW_PASSWORD)
    after = utcnow()
    assert response.status_code == 302

    [mail] = received(smtp_server)
    assert mail.to == [email]
    assert_ours(app, mail, account_lang, name=name,
                subject="Your password for the %(company)s privacy portal was changed",
                says=not_you(app, account_lang) + [translated(app, STAY, account_lang)])
    happened = [translated(app, CHANGED, account_lang, company=COMPANY, when=when)
                for when in shown_between(app, account_lang, before, after)]
    assert any(sentence in mail.text for sentence in happened), mail.text
    assert [row.kind for row in outbox_mail(app)] == [security_mail.CHANGE_NOTICE]


def _code(key: str) -> str:
    import pyotp

    return pyotp.TOTP(key.replace("-", "")).now()


def test_two_step_on_and_off_are_told_in_the_accounts_language(app, client, demo, smtp_server):
    """Matti's account is in English; the site is in Finnish when he turns two-step on and off."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fi"
    AuthActions(client).login(MATTI, DEMO_PASSWORD)
    token = csrf_token(client, "/account/two-step")
    setup = client.post("/account/two-step", data={"setup": "authenticator", "csrf_token": token})
    body = setup.get_data(as_text=True)
    key = re.search(r"\b([A-Z2-7]{4}(?:-[A-Z2-7]{4}){5,})\b", body).group(1)
    action = CODE_FORM_RE.search(body).group(1)
    before = utcnow()
    turned_on = client.post(action, data={"code": _code(key), "csrf_token": csrf_token(client, "/privacy")})
    assert turned_on.status_code == 302

    [on] = received(smtp_server)
    assert on.to == [MATTI]
    assert_ours(app, on, "en", subject="Two-step verification is on in the %(company)s privacy portal",
                name="Matti", says=not_you(app, "en") + [
                    "From now on you log in with your password and a one-time code from that app. Codes from "
                    "any app set up earlier no longer work."])
    assert any(f"privacy portal on {when}." in on.text for when in shown_between(app, "en", before, utcnow()))

    assert post_form(client, "/account/two-step", setup="disable").status_code in (200, 302)
    [_, off] = received(smtp_server)
    assert_ours(app, off, "en", subject="Two-step verification is off in the %(company)s privacy portal",
                name="Matti", says=not_you(app, "en") + ["From now on you log in with your password only."])
    assert "http://localhost/account/two-step" in off.text
    with app.app_context():  # both changes are in the audit log
        methods = db.session.execute(select(AuditEvent.details).where(
            AuditEvent.action == "two_step_changed").order_by(AuditEvent.id)).scalars().all()
    assert [json.loads(details)["method"] for details in methods] == ["authenticator", "off"]


def test_new_recovery_codes_are_told_to_the_staff_member(app, client, demo, smtp_server):
    """Staff have no register entry: a neutral greeting, in the account's language (Finnish)."""
    staff = log_in_staff(client, demo, ADMIN_EMAIL)
    switch_language(staff, "en")  # logged in: this saves English as the account's language
    before = utcnow()
    response = post_form(staff, "/account/recovery-codes")
    assert response.status_code == 200

    [mail] = received(smtp_server)
    assert mail.to == [ADMIN_EMAIL]
    assert_ours(app, mail, "en", subject="New recovery codes for the %(company)s privacy portal", name=None,
                says=not_you(app, "en"))
    made = [f"New recovery codes were made for your account in the {COMPANY} privacy portal on {when}. "
            "Codes made earlier no longer work." for when in shown_between(app, "en", before, utcnow())]
    assert any(sentence in mail.text for sentence in made), mail.text

    # Lost the phone later: the code page offers a recovery code, and who to ask without one.
    lost = app.test_client()
    switch_language(lost, "en")
    AuthActions(lost).login(ADMIN_EMAIL, DEMO_PASSWORD)
    code_page = unescape(lost.get("/login/code").get_data(as_text=True))
    assert 'href="/login/recovery"' in code_page
    assert (f"No recovery codes either? Write to us at {PRIVACY_EMAIL} and we will help you get in."
            in code_page)


@pytest.mark.parametrize("choice", ["help", "email"])
def test_lost_authenticator_help_sends_no_mail(app, client, demo, smtp_server, choice):
    """No 'contact administrator' mail to a made-up address, and no code by email (a second factor)."""
    first = AuthActions(client).login(ADMIN_EMAIL, DEMO_PASSWORD)
    assert "/login/code" in first.headers["Location"]
    help_page = client.get("/login/code/help")
    assert PRIVACY_EMAIL in help_page.get_data(as_text=True)  # who to ask instead
    response = post_form(client, "/login/code/help", help_setup=choice)
    assert response.status_code == 200
    assert received(smtp_server) == []
    assert outbox_mail(app) == []
    assert client.get("/staff/").status_code == 302  # still not logged in


def test_an_email_we_have_no_template_for_is_refused(app):
    """A newly enabled library feature fails loudly instead of mailing the library's wording."""
    with app.test_request_context():
        with pytest.raises(security_mail.UnknownSecurityEmail):
            security_mail.queue_library_email(db.session, "security/email/welcome", MAIJA, {})
        db.session.rollback()


def test_no_other_library_email_can_be_sent_with_our_settings(app):
    """Every Flask-Security email our settings allow has a template of ours."""
    config = app.config
    for feature in ("REGISTERABLE", "CONFIRMABLE", "PASSWORDLESS", "UNIFIED_SIGNIN", "CHANGE_EMAIL",
                    "USERNAME_RECOVERY", "CHANGE_USERNAME", "TWO_FACTOR_RESCUE_EMAIL"):
        assert not config.get(f"SECURITY_{feature}"), feature
    assert set(config["SECURITY_TWO_FACTOR_ENABLED_METHODS"]) == {"authenticator"}
    with app.app_context():
        for setting in ("EMAIL_TEMPLATE_PASSWORD_RESET", "EMAIL_TEMPLATE_PASSWORD_RESET_NOTICE",
                        "EMAIL_TEMPLATE_PASSWORD_CHANGE_NOTICE"):
            assert security_mail.our_template(config[f"SECURITY_{setting}"]).startswith("security_")


def test_reset_link_expiry_follows_the_setting(app_config, request, smtp_server):
    """The expiry shown is the link's real lifetime, not a fixed text."""
    app_config.SECURITY_RESET_PASSWORD_WITHIN = timedelta(minutes=30)
    app = request.getfixturevalue("app")
    request.getfixturevalue("demo")
    client = app.test_client()
    before = utcnow()
    post_form(client, "/reset", email=MATTI)
    after = utcnow()
    [mail] = received(smtp_server)
    expected = shown_between(app, "en", before + timedelta(minutes=30), after + timedelta(minutes=30))
    assert any(f"valid until {when}." in mail.text for when in expected), mail.text
