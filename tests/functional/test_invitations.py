"""Getting access: invitation email, activation link, one-time use, expiry and no enumeration."""

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from portal.extensions import db
from portal.models import OutboxMessage, User
from tests.conftest import AuthActions, csrf_token, post_form, set_password_form
from tests.factories import CustomerFactory
from tests.functional.helpers import (
    ANNA,
    MATTI,
    assert_finnish,
    audit_actions,
    link_in,
    outbox_mail,
    page,
    sent_mail,
    without_tokens,
)

NEW_PASSWORD = "Kuusi-koivua-rannalla-7"


@pytest.fixture
def english(client):
    """The browser asks for English pages."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _ask(client, email: str):
    return post_form(client, "/get-access", email=email)


def _invitation_path(app, client) -> str:
    """Ask for Anna's invitation and return the /activate/... path from the email."""
    _ask(client, ANNA)
    return link_in(sent_mail(app)[-1], "/activate/")


_activate = set_password_form


def _password_of(app, email: str):
    with app.app_context():
        value = db.session.execute(select(User.password).where(User.email == email)).scalar_one_or_none()
        db.session.remove()
    return value


def test_register_email_gets_an_activation_link(app, english, demo):
    response = _ask(english, ANNA)
    assert response.status_code == 200
    assert "Check your email" in page(response)
    [message] = sent_mail(app)
    assert message.to == [ANNA]
    assert link_in(message, "/activate/").startswith("/activate/")


def test_address_is_matched_without_regard_to_case(app, english, demo):
    _ask(english, ANNA.upper())
    assert [m.to for m in sent_mail(app)] == [[ANNA]]


def test_invitation_is_in_the_customers_language_not_the_browsers(app, client, demo):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fi"
    _ask(client, ANNA)
    [message] = sent_mail(app)
    assert "Esimerkki Oy privacy portal" in message.subject
    assert "Hello Anna," in message.body


def test_finnish_customer_gets_a_finnish_invitation(app, english, demo):
    with app.app_context():
        CustomerFactory(first_name="Veikko", email="veikko.testaaja@esimerkki.example", language="fi")
        db.session.commit()
        db.session.remove()
    _ask(english, "veikko.testaaja@esimerkki.example")
    [message] = sent_mail(app)
    assert "privacy portal" not in message.subject
    assert_finnish(app, message.body, "Hello %(name)s,", name="Veikko")


def test_invitation_goes_through_the_outbox_and_is_audited(app, client, demo):
    _ask(client, ANNA)
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage.kind, OutboxMessage.status)
                                  .order_by(OutboxMessage.id)).all()
        db.session.remove()
    # The request only queued the task; the invitation was made and sent after the response.
    assert [tuple(r) for r in rows] == [("task:access_request", "sent"), ("invitation", "sent")]
    assert "invitation_sent" in audit_actions(app)


def test_unknown_address_gets_the_same_page_and_no_mail(app, english, demo):
    known = _ask(english, ANNA)
    unknown = _ask(english, "ei.asiakas@esimerkki.example")
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(page(known)) == without_tokens(page(unknown))
    assert [m.to for m in sent_mail(app)] == [[ANNA]]


def test_invalid_email_gets_a_translated_validation_message(app, client, demo):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fi"
    response = _ask(client, "ei-sahkoposti")
    assert response.status_code == 200
    assert_finnish(app, page(response), "Enter a valid email address, e.g. name@example.com.")
    assert sent_mail(app) == []


def test_invalid_email_message_in_english(app, english, demo):
    response = _ask(english, "not an address")
    assert "Enter a valid email address, e.g. name@example.com." in page(response)


def test_too_short_password_is_refused_and_changes_nothing(app, english, demo):
    path = _invitation_path(app, english)
    response = _activate(english, path, "lyhyt-1")
    assert response.status_code == 200
    assert "field-error" in page(response)
    assert _password_of(app, ANNA) is None
    assert english.get(path).status_code == 200


def test_mismatched_confirmation_is_refused(app, english, demo):
    path = _invitation_path(app, english)
    response = _activate(english, path, NEW_PASSWORD, "Jotain-aivan-muuta-99")
    assert "The passwords do not match." in page(response)
    assert _password_of(app, ANNA) is None


def test_valid_password_activates_and_login_works(app, english, demo):
    path = _invitation_path(app, english)
    response = _activate(english, path, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    assert "Your password is set." in page(english.get("/login"))
    assert AuthActions(english).login(ANNA, NEW_PASSWORD).headers["Location"].endswith("/account")
    assert "Testinen" in page(english.get("/account"))
    assert "account_activated" in audit_actions(app)


def test_used_link_sends_back_to_get_access(app, english, demo):
    path = _invitation_path(app, english)
    _activate(english, path, NEW_PASSWORD)
    response = english.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/get-access")
    assert "This link has already been used." in page(english.get("/get-access"))


def test_used_link_cannot_set_the_password_again(app, english, demo):
    path = _invitation_path(app, english)
    token = csrf_token(english, path)
    _activate(english, path, NEW_PASSWORD)
    english.post(path, data={"password": "Toinen-salasana-1234", "password_confirm": "Toinen-salasana-1234",
                             "csrf_token": token})
    assert AuthActions(english).login(ANNA, NEW_PASSWORD).status_code == 302


class _LongAgo(TimestampSigner):
    """Signs as if it were eight days ago."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 8 * 86400


def test_expired_link_says_so(app, english, demo):
    path = _invitation_path(app, english)
    payload = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="portal-invitation").loads(
        path.rsplit("/", 1)[1])
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="portal-invitation",
                                 signer=_LongAgo).dumps(payload)
    response = english.get(f"/activate/{old}")
    assert response.headers["Location"].endswith("/get-access")
    assert "This link has expired." in page(english.get("/get-access"))


def test_garbage_token_says_not_valid(english, demo):
    response = english.get("/activate/not-a-real-token")
    assert response.status_code == 302
    assert "This link is not valid." in page(english.get("/get-access"))


def test_active_customer_asking_again_gets_already_have_an_account_mail(app, english, demo):
    _ask(english, MATTI)
    [message] = sent_mail(app)
    assert message.to == [MATTI]
    assert "you already have an account" in message.body
    assert "/activate/" not in message.body
    assert link_in(message, "/login") == "/login"


def test_asking_works_while_the_mail_server_is_down(mail_down_app):
    """The page answers as usual; the invitation waits in the outbox for `flask outbox send`."""
    app = mail_down_app
    client = app.test_client()
    response = _ask(client, ANNA)
    assert response.status_code == 200
    [row] = outbox_mail(app)
    assert (row.recipient, row.status, row.attempts) == (ANNA, "pending", 1)


def test_get_access_sends_a_logged_in_customer_to_their_data(client, auth, demo):
    auth.login("maija.meikalainen@esimerkki.example", "Esimerkki-demo-2026")
    response = client.get("/get-access")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")
