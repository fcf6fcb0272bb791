"""`flask demo`: loads the fictional register once, prints the log-ins, and never mixes with real data."""

import re

import pyotp
from sqlalchemy import func, select

from portal.demo import DEMO_PASSWORD, STAFF_EMAIL
from portal.extensions import db
from portal.models import (
    ControllerSettings,
    Customer,
    DataSource,
    Disclosure,
    Invoice,
    MarketingProhibition,
    Order,
    Role,
    User,
)
from tests.conftest import AuthActions, csrf_token
from tests.factories import CustomerFactory
from tests.functional.helpers import ANNA, LIISA, MAIJA, MATTI, PEKKA

MODELS = (ControllerSettings, Customer, DataSource, Disclosure, Invoice, MarketingProhibition, Order,
          Role, User)
KEY_RE = re.compile(r"TOTP secret for an authenticator app: ([A-Z2-7-]+)")


def _counts(app) -> dict[str, int]:
    with app.app_context():
        counts = {m.__name__: db.session.execute(select(func.count()).select_from(m)).scalar_one()
                  for m in MODELS}
        db.session.remove()
    return counts


def test_demo_loads_the_register(app, flask_cli):
    result = flask_cli("demo")
    assert result.exit_code == 0, result.output
    counts = _counts(app)
    assert counts["Customer"] == 5
    assert counts["User"] == 5
    assert counts["ControllerSettings"] == 1


def test_demo_is_idempotent(app, flask_cli):
    first = flask_cli("demo")
    after_first = _counts(app)
    second = flask_cli("demo")
    assert second.exit_code == 0, second.output
    assert _counts(app) == after_first
    assert KEY_RE.search(first.output).group(1) == KEY_RE.search(second.output).group(1)


def test_demo_prints_every_login(flask_cli):
    output = flask_cli("demo").output
    for email in (MAIJA, MATTI, LIISA, PEKKA, ANNA, STAFF_EMAIL):
        assert email in output
    assert DEMO_PASSWORD in output
    assert "(no password yet)" in re.search(rf"{re.escape(ANNA)}.*", output).group(0)
    assert KEY_RE.search(output)


def test_printed_logins_work(app, flask_cli):
    flask_cli("demo")
    client = app.test_client()
    assert AuthActions(client).login(MAIJA, DEMO_PASSWORD).headers["Location"].endswith("/account")


def test_printed_staff_totp_secret_works(app, flask_cli):
    key = KEY_RE.search(flask_cli("demo").output).group(1).replace("-", "")
    client = app.test_client()
    response = AuthActions(client).login(STAFF_EMAIL, DEMO_PASSWORD)
    assert "/login/code" in response.headers["Location"]
    token = csrf_token(client, "/privacy")
    done = client.post("/login/code", data={"code": pyotp.TOTP(key).now(), "csrf_token": token})
    assert done.status_code == 302
    assert "/login" not in done.headers["Location"]


def test_demo_refuses_a_database_with_real_customers(app, flask_cli):
    with app.app_context():
        CustomerFactory(first_name="Oikea", last_name="Asiakas")
        db.session.commit()
        db.session.remove()
    before = _counts(app)
    result = flask_cli("demo")
    assert result.exit_code != 0
    assert "real customer" in result.output
    assert "Traceback" not in result.output
    assert _counts(app) == before
