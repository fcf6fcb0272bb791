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
    assert counts["Customer"] == 6
    assert counts["User"] == 7  # five customers with an account, a reviewer and an administrator
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


def test_demo_has_requests_of_every_kind_and_state_one_overdue(app, flask_cli):
    from portal.models import PrivacyRequest
    from portal.models.requests import REQUEST_KINDS
    from portal.models.types import utcnow
    from portal.services.requests import helsinki_date

    assert flask_cli("demo").exit_code == 0
    with app.app_context():
        requests = db.session.execute(select(PrivacyRequest)).scalars().all()
        waiting = [r for r in requests if r.is_open]
        assert {r.kind for r in waiting} == set(REQUEST_KINDS)
        assert {r.status for r in requests} >= {"pending", "in_review", "approved", "denied", "cancelled"}
        today = helsinki_date(utcnow())
        assert [r.channel for r in waiting if r.effective_due_on < today] == ["letter"]
        assert any(r.extended_due_on and r.extension_reason for r in waiting)
        assert all(r.reference and r.events and r.events[0].status == "pending" for r in requests)
        denied = [r for r in requests if r.status == "denied"]
        assert denied and all(r.decision_reason for r in denied)
        erasures = {r.customer.first_name: r.details["holds_shown"] for r in waiting if r.kind == "erasure"}
        assert erasures["Sanna"] == [] and {h["code"] for h in erasures["Pekka"]} >= {"debt_collection"}
        db.session.remove()
