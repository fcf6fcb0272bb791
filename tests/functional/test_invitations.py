"""Getting access: invitation email, activation link, one-time use, expiry and no enumeration."""

import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from portal.demo import CONTROLLER
from portal.extensions import db
from portal.models import AuditEvent, OutboxMessage, User
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
    recipient_hash,
    sent_mail,
    translated,
    without_tokens,
)

NEW_PASSWORD = "Kuusi-koivua-rannalla-7"
UNKNOWN = "ei.asiakas@esimerkki.example"


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


def _account_count(app, email: str) -> int:
    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(User)
                                   .where(func.lower(User.email) == email.lower())).scalar_one()
        db.session.remove()
    return count


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


def test_unknown_address_gets_the_same_page_and_only_a_no_data_note(app, english, demo):
    known = _ask(english, ANNA)
    unknown = _ask(english, UNKNOWN)
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(page(known)) == without_tokens(page(unknown))
    assert [m.to for m in sent_mail(app)] == [[ANNA], [UNKNOWN]]
    assert "/activate/" not in sent_mail(app)[-1].body
    assert _password_of(app, UNKNOWN) is None and _account_count(app, UNKNOWN) == 0


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


# --- Someone not in the register: one short 'no data' note a day, Finnish first, then English ---

NO_DATA_LINES = (
    "Hello,",
    "Someone asked for access to our privacy portal with this email address. Our customer register "
    "holds no data linked to this address, so we cannot give it access.",
    "If you did not ask for this, you can ignore this message.",
)
OTHER_DETAILS = ("If you think we hold data about you under other details, for example another email "
                 "address, your name or your phone number, write to %(email)s and tell us which details "
                 "we should look for.")


def _parts(message) -> list[str]:
    """The language parts of a 'no data' note's text, in order."""
    return [" ".join(part.split()) for part in message.body.split("\n----\n")]


def test_unknown_address_gets_a_note_in_finnish_then_english(app, english, demo):
    _ask(english, UNKNOWN)
    [message] = sent_mail(app)
    assert message.to == [UNKNOWN]
    finnish, english_part = _parts(message)
    email = CONTROLLER["privacy_email"]
    for line in NO_DATA_LINES:
        assert translated(app, line) in finnish
        assert line in english_part
    assert translated(app, OTHER_DETAILS, email=email) in finnish
    assert OTHER_DETAILS % {"email": email} in english_part
    assert message.subject == (f"{CONTROLLER['name']}: "
                               f"{translated(app, 'No data found for your email address')}"
                               " / No data found for your email address")


def test_no_data_note_html_has_both_languages_marked(app, english, demo):
    _ask(english, UNKNOWN)
    [message] = sent_mail(app)
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert html.startswith("<!DOCTYPE html>") and '<html lang="fi">' in html
    finnish = html.index('<div lang="fi">')
    english_part = html.index('<div lang="en">')
    assert finnish < english_part
    assert translated(app, NO_DATA_LINES[1]) in html[finnish:english_part]
    assert NO_DATA_LINES[1] in html[english_part:]
    assert CONTROLLER["privacy_email"] in html[english_part:]


def test_no_data_note_at_most_once_a_day_per_address(app, english, demo):
    _ask(english, UNKNOWN)
    _ask(english, UNKNOWN.upper())
    _ask(english, "toinen.tuntematon@esimerkki.example")
    assert [m.to for m in sent_mail(app)] == [[UNKNOWN], ["toinen.tuntematon@esimerkki.example"]]
    with app.app_context():
        kept = db.session.execute(select(OutboxMessage.recipient).where(OutboxMessage.kind == "no_data")
                                  .order_by(OutboxMessage.id)).scalars().first()
        db.session.remove()
    assert kept == recipient_hash(UNKNOWN)  # sent: only the hash is kept, and it still counts


def test_no_data_note_again_after_a_day(app, english, demo):
    _ask(english, UNKNOWN)
    with app.app_context():
        for row in db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "no_data")).scalars():
            row.created_at -= timedelta(hours=24, minutes=1)
        db.session.commit()
        db.session.remove()
    _ask(english, UNKNOWN)
    assert [m.to for m in sent_mail(app)] == [[UNKNOWN], [UNKNOWN]]


def test_pending_no_data_note_also_counts(mail_down_app):
    """While the mail server is down the first note waits in the outbox; asking again adds none."""
    client = mail_down_app.test_client()
    _ask(client, UNKNOWN)
    _ask(client, UNKNOWN)
    rows = outbox_mail(mail_down_app)
    assert [(r.kind, r.recipient, r.status) for r in rows] == [("no_data", UNKNOWN, "pending")]


def test_unknown_address_is_audited_without_the_address(app, english, demo):
    _ask(english, UNKNOWN)
    _ask(english, UNKNOWN)
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "access_requested_unknown")
                                    .order_by(AuditEvent.id)).scalars().all()
        rows = [(e.actor_kind, e.actor_id, e.customer_id, e.details) for e in events]
        db.session.remove()
    assert rows == [("anonymous", None, None, '{"mail_queued": true}'),
                    ("anonymous", None, None, '{"mail_queued": false}')]
    assert "ei.asiakas" not in str(rows)
