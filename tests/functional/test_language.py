"""Language: the switch, the saved preference, Accept-Language, and every page in both languages."""

import pytest
from sqlalchemy import select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import User
from tests.conftest import AuthActions, csrf_token
from tests.functional.helpers import (
    ANNA,
    MAIJA,
    assert_finnish,
    link_in,
    page,
    sent_mail,
    switch_language,
)

PUBLIC_PAGES = ["/", "/privacy", "/login", "/get-access", "/reset"]
CUSTOMER_PAGES = ["/account", "/account/password"]


def _locale_of(app, email: str) -> str:
    with app.app_context():
        locale = db.session.execute(select(User.locale).where(User.email == email)).scalar_one()
        db.session.remove()
    return locale


def test_switch_to_finnish_changes_the_interface(app, client, demo):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert '<html lang="en">' in page(client.get("/"))
    response = switch_language(client, "fi", "/privacy")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/privacy")
    shown = page(client.get("/"))
    assert '<html lang="fi">' in shown
    assert "Kirjaudu sisään" in shown


def test_logged_in_customer_sees_finnish_my_data(client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    switch_language(client, "en")
    assert "My data" in page(client.get("/account"))
    switch_language(client, "fi")
    assert "Omat tiedot" in page(client.get("/account"))


def test_choice_is_saved_on_the_account(app, client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    switch_language(client, "en")
    assert _locale_of(app, MAIJA) == "en"
    other_browser = app.test_client()
    other_browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fi"
    AuthActions(other_browser).login(MAIJA, DEMO_PASSWORD)
    assert '<html lang="en">' in page(other_browser.get("/account"))


def test_saved_choice_beats_accept_language(client, auth, demo):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    auth.login(MAIJA, DEMO_PASSWORD)
    assert '<html lang="fi">' in page(client.get("/account"))


@pytest.mark.parametrize("header, lang", [("fi", "fi"), ("en-GB,en;q=0.8", "en"),
                                          ("sv-FI,sv;q=0.9", "fi"), ("de, en;q=0.5", "en")])
def test_accept_language_used_when_nothing_chosen(client, demo, header, lang):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = header
    assert f'<html lang="{lang}">' in page(client.get("/"))


def test_unknown_language_gets_a_clear_400_page(app, client, demo):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = csrf_token(client, "/")
    response = client.post("/language/xx", data={"csrf_token": token})
    assert response.status_code == 400
    shown = page(response)
    assert "That language is not available. Choose suomi or English." in shown
    assert "Traceback" not in shown


def test_unknown_language_message_in_finnish(app, client, demo):
    token = csrf_token(client, "/")
    shown = page(client.post("/language/xx", data={"csrf_token": token}))
    assert_finnish(app, shown, "That language is not available. Choose suomi or English.")


def test_language_switch_by_get_is_not_allowed(client, demo):
    response = client.get("/language/fi")
    assert response.status_code == 405
    assert "Traceback" not in page(response)


@pytest.mark.parametrize("lang", ["fi", "en"])
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_renders_in_both_languages(client, demo, path, lang):
    switch_language(client, lang)
    response = client.get(path)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in page(response)


@pytest.mark.parametrize("lang", ["fi", "en"])
@pytest.mark.parametrize("path", CUSTOMER_PAGES)
def test_customer_page_renders_in_both_languages(client, auth, demo, path, lang):
    auth.login(MAIJA, DEMO_PASSWORD)
    switch_language(client, lang)
    response = client.get(path)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in page(response)


@pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples:DeprecationWarning")
@pytest.mark.parametrize("lang", ["fi", "en"])
def test_two_step_page_renders_in_both_languages(client, auth, demo, lang):
    auth.login(MAIJA, DEMO_PASSWORD)
    switch_language(client, lang)
    response = client.get("/account/two-step")
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in page(response)


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_activation_page_renders_in_both_languages(app, client, demo, lang):
    token = csrf_token(client, "/get-access")
    client.post("/get-access", data={"email": ANNA, "csrf_token": token})
    switch_language(client, lang)
    response = client.get(link_in(sent_mail(app)[0], "/activate/"))
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in page(response)


@pytest.mark.parametrize("lang, updated", [("fi", "1.11.2026"), ("en", "1 Nov 2026")])
def test_statement_date_in_locale_format(client, demo, lang, updated):
    switch_language(client, lang)
    assert updated in page(client.get("/privacy"))
