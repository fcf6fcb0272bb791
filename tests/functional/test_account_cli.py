"""Operator commands for accounts: `flask create-staff` and `flask invite`."""

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import User
from tests.conftest import csrf_token
from tests.functional.helpers import ANNA, MAIJA, audit_actions, link_in, page, sent_mail

STAFF = "uusi.kasittelija@esimerkki.example"
GOOD = "Pitka-ja-hyva-salasana-77"


def _users(app, email: str) -> int:
    with app.app_context():
        query = select(func.count()).select_from(User).where(User.email == email)
        count = db.session.execute(query).scalar_one()
        db.session.remove()
    return count


def test_create_staff_makes_an_account_and_audits_it(app, flask_cli):
    result = flask_cli("create-staff", STAFF, "--role", "reviewer", input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert "Staff account created (reviewer)." in result.output
    assert _users(app, STAFF) == 1
    assert audit_actions(app) == ["staff_created"]


def test_create_staff_refuses_a_short_password(app, flask_cli):
    result = flask_cli("create-staff", STAFF, input="lyhyt\nlyhyt\n")
    assert result.exit_code != 0
    assert "Error:" in result.output
    assert _users(app, STAFF) == 0


def test_create_staff_refuses_a_taken_address(app, flask_cli, demo):
    result = flask_cli("create-staff", MAIJA.upper(), input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_invite_mails_a_working_link(app, flask_cli, demo):
    result = flask_cli("invite", ANNA)
    assert result.exit_code == 0, result.output
    [message] = sent_mail(app)
    assert message.to == [ANNA]
    assert app.config["PORTAL_BASE_URL"] + "/activate/" in message.body
    client = app.test_client()
    assert client.get(link_in(message, "/activate/")).status_code == 200


def test_invite_refuses_an_unknown_address(flask_cli, demo):
    result = flask_cli("invite", "ei.rekisterissa@esimerkki.example")
    assert result.exit_code != 0
    assert "no register entry" in result.output


def test_invite_refuses_an_activated_customer(app, flask_cli, demo):
    result = flask_cli("invite", MAIJA)
    assert result.exit_code != 0
    assert "already activated" in result.output
    assert sent_mail(app) == []


def test_invited_customer_can_activate_from_the_cli_link(app, flask_cli, demo):
    flask_cli("invite", ANNA)
    client = app.test_client()
    path = link_in(sent_mail(app)[0], "/activate/")
    token = csrf_token(client, path)
    response = client.post(path, data={"password": GOOD, "password_confirm": GOOD, "csrf_token": token})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert "field-error" not in page(client.get("/login"))
