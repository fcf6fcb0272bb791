"""Every form needs its CSRF token, a refused post changes nothing, and GET never changes state."""

from sqlalchemy import func, select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import OutboxMessage, User
from tests.conftest import AuthActions, csrf_token
from tests.functional.helpers import ANNA, MAIJA, assert_finnish, page, sent_mail

CSRF_MESSAGE = "The form had expired or was sent from elsewhere. Reload the page and try again."


def _scalar(app, query):
    with app.app_context():
        value = db.session.execute(query).scalar_one()
        db.session.remove()
    return value


def test_login_without_token_is_refused_with_a_translated_page(app, client, demo):
    response = client.post("/login", data={"email": MAIJA, "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert_finnish(app, page(response), CSRF_MESSAGE)
    assert client.get("/account").status_code == 302


def test_refusal_in_english(client, demo):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post("/get-access", data={"email": ANNA})
    assert response.status_code == 400
    assert CSRF_MESSAGE in page(response)


def test_get_access_without_token_sends_nothing(app, client, demo):
    client.post("/get-access", data={"email": ANNA})
    assert sent_mail(app) == []
    assert _scalar(app, select(func.count()).select_from(OutboxMessage)) == 0


def test_language_switch_without_token_changes_nothing(app, client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    response = client.post("/language/en", data={"next": "/"})
    assert response.status_code == 400
    assert _scalar(app, select(User.locale).where(User.email == MAIJA)) == "fi"
    assert '<html lang="fi">' in page(client.get("/"))


def test_logout_without_token_keeps_the_session(client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200


def test_password_change_without_token_changes_nothing(app, client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    response = client.post("/account/password", data={
        "password": DEMO_PASSWORD, "new_password": "Toinen-pitka-salasana-1",
        "new_password_confirm": "Toinen-pitka-salasana-1"})
    assert response.status_code == 400
    assert AuthActions(app.test_client()).login(MAIJA, DEMO_PASSWORD).status_code == 302


def test_token_from_another_session_is_refused(app, client, demo):
    foreign = csrf_token(app.test_client(), "/login")
    response = client.post("/login", data={"email": MAIJA, "password": DEMO_PASSWORD,
                                           "csrf_token": foreign})
    assert response.status_code == 400


def test_get_logout_does_not_log_out(client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    response = client.get("/logout")
    assert response.status_code == 405
    assert client.get("/account").status_code == 200
