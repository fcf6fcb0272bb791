"""Forgotten password: a reset link by email sets a new password and ends the old sessions."""

from portal.demo import DEMO_PASSWORD
from tests.conftest import AuthActions, post_form, set_password_form
from tests.functional.helpers import MAIJA, audit_actions, link_in, page, sent_mail, without_tokens

NEW_PASSWORD = "Unohtunut-salasana-uusi-5"
UNKNOWN = "ei.ketaan@esimerkki.example"


def _ask_reset(client, email: str):
    return post_form(client, "/reset", email=email)


def _reset_path(app, client) -> str:
    _ask_reset(client, MAIJA)
    return link_in(sent_mail(app)[-1], "/reset/")


_set = set_password_form


def _anonymised(client, response, email: str) -> str:
    """The page after the request, with the typed address and form tokens blanked out."""
    if response.status_code == 302:
        response = client.get(response.headers["Location"])
    return without_tokens(page(response)).replace(email, "ADDRESS")


def test_reset_link_is_mailed(app, client, demo):
    response = _ask_reset(client, MAIJA)
    assert response.status_code in (200, 302)
    [message] = sent_mail(app)
    assert message.to == [MAIJA]
    assert link_in(message, "/reset/").startswith("/reset/")


def test_unknown_address_gets_the_same_answer_and_no_mail(app, demo):
    known, unknown = app.test_client(), app.test_client()
    first = _ask_reset(known, MAIJA)
    second = _ask_reset(unknown, UNKNOWN)
    assert first.status_code == second.status_code
    assert _anonymised(known, first, MAIJA) == _anonymised(unknown, second, UNKNOWN)
    assert len(sent_mail(app)) == 1


def test_link_sets_a_new_password(app, client, demo):
    path = _reset_path(app, client)
    assert client.get(path).status_code == 200
    response = _set(client, path, NEW_PASSWORD)
    assert response.status_code == 302
    assert AuthActions(app.test_client()).login(MAIJA, DEMO_PASSWORD).status_code == 200
    assert AuthActions(app.test_client()).login(MAIJA, NEW_PASSWORD).status_code == 302
    assert "password_reset" in audit_actions(app)


def test_reset_ends_existing_sessions(app, client, demo):
    victim = app.test_client()
    AuthActions(victim).login(MAIJA, DEMO_PASSWORD)
    assert victim.get("/account").status_code == 200
    _set(client, _reset_path(app, client), NEW_PASSWORD)
    response = victim.get("/account")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_too_short_new_password_is_refused(app, client, demo):
    path = _reset_path(app, client)
    response = _set(client, path, "lyhyt-2")
    assert response.status_code == 200
    assert AuthActions(app.test_client()).login(MAIJA, DEMO_PASSWORD).status_code == 302


def test_reset_link_works_only_once(app, client, demo):
    path = _reset_path(app, client)
    _set(client, path, NEW_PASSWORD)
    again = app.test_client().get(path)
    assert again.status_code == 302
    assert again.headers["Location"].startswith("/reset")
    assert AuthActions(app.test_client()).login(MAIJA, NEW_PASSWORD).status_code == 302


def test_the_answer_promises_nothing_about_an_unknown_address(client, demo):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    shown = page(_ask_reset(client, UNKNOWN))
    assert "If this email address has an account with us" in shown
    assert "have been sent to" not in shown
