"""Flask-Security's own emails (password notices, reset links) go through the outbox like all mail."""


from portal.demo import DEMO_PASSWORD
from tests.conftest import AuthActions, csrf_token
from tests.functional.helpers import MAIJA, outbox_mail, recipient_hash, sent_mail

NEW_PASSWORD = "Uusi-pitka-salasana-2026"


def _outbox(app) -> list[tuple[str, str, str]]:
    return [(row.recipient, row.kind, row.status) for row in outbox_mail(app)]


def _change_password(client):
    token = csrf_token(client, "/account/password")
    return client.post("/account/password", data={
        "password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD, "csrf_token": token})


def test_password_change_notice_is_mailed(app, client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    _change_password(client)
    assert [m.to for m in sent_mail(app)] == [[MAIJA]]


def test_password_change_notice_goes_through_the_outbox(app, client, auth, demo):
    """Written to the outbox first, so a mail server outage neither loses it nor breaks the page."""
    auth.login(MAIJA, DEMO_PASSWORD)
    _change_password(client)
    [(recipient, kind, status)] = _outbox(app)
    assert (recipient, status) == (recipient_hash(MAIJA), "sent")
    assert kind.startswith("security_")


def test_reset_mail_goes_through_the_outbox(app, client, demo):
    token = csrf_token(client, "/reset")
    client.post("/reset", data={"email": MAIJA, "csrf_token": token})
    [(recipient, kind, status)] = _outbox(app)
    assert (recipient, status) == (recipient_hash(MAIJA), "sent")
    assert kind.startswith("security_")


def test_password_change_works_while_the_mail_server_is_down(mail_down_app):
    """The notice waits in the outbox; the customer still gets their new password."""
    app = mail_down_app
    client = app.test_client()
    AuthActions(client).login(MAIJA, DEMO_PASSWORD)
    response = _change_password(client)
    assert response.status_code == 302
    assert [(r, s) for r, _, s in _outbox(app)] == [(MAIJA, "pending")]
