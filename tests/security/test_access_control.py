"""A customer sees only their own data; anonymous visitors and staff get no 'My data'."""

import pyotp
import pytest
from flask_security.proxies import _security
from sqlalchemy import select

from portal.demo import DEMO_PASSWORD, STAFF_EMAIL
from portal.extensions import db
from portal.models import User
from tests.conftest import csrf_token
from tests.factories import PASSWORD, CustomerFactory, InvoiceFactory, OrderFactory, UserFactory
from tests.functional.helpers import assert_finnish, page


@pytest.fixture
def two_customers(app):
    """Two customers with accounts and history; returns their identifying values."""
    with app.app_context():
        people = {}
        for key, first, last in (("a", "Aino", "Ahonen"), ("b", "Bertta", "Björklund")):
            customer = CustomerFactory(first_name=first, last_name=last,
                                       phone=f"+358 40 000 000{len(people)}")
            UserFactory(customer=customer)
            order = OrderFactory(customer=customer, description=f"Tuote {last}")
            invoice = InvoiceFactory(customer=customer)
            people[key] = {"email": customer.email, "secrets": [
                last, customer.email, customer.phone, order.number, invoice.number, f"Tuote {last}"]}
        db.session.commit()
        db.session.remove()
    return people


def _plain_get_routes(app) -> list[str]:
    """Every GET route without URL parameters (static files aside)."""
    return sorted(
        rule.rule for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"
    )


def test_customer_sees_own_data(client, auth, two_customers):
    auth.login(two_customers["a"]["email"], PASSWORD)
    shown = page(client.get("/account"))
    for value in two_customers["a"]["secrets"]:
        assert value in shown


@pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples:DeprecationWarning")
def test_no_page_shows_another_customers_data(app, client, auth, two_customers):
    auth.login(two_customers["a"]["email"], PASSWORD)
    routes = _plain_get_routes(app)
    assert "/account" in routes
    for route in routes:
        response = client.get(route)
        assert response.status_code < 500, route
        if response.mimetype == "application/zip":  # compressed: tests/functional/test_export.py
            continue
        shown = page(response)
        for value in two_customers["b"]["secrets"]:
            assert value not in shown, f"{route} shows another customer's {value!r}"


def test_my_data_requires_login(client, two_customers):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_staff_without_register_entry_gets_403_at_my_data(app, client, auth, demo):
    response = auth.login(STAFF_EMAIL, DEMO_PASSWORD)
    assert "/login/code" in response.headers["Location"]
    with app.app_context():
        secret = db.session.execute(
            select(User.tf_totp_secret).where(User.email == STAFF_EMAIL)).scalar_one()
        key = _security._totp_factory.get_totp_b32_key(secret)
    token = csrf_token(client, "/privacy")
    assert client.post("/login/code", data={"code": pyotp.TOTP(key).now(),
                                            "csrf_token": token}).status_code == 302
    assert client.get("/account").headers["Location"].endswith("/staff/")  # where a log-in lands
    response = client.get("/account/requests")
    assert response.status_code == 403
    shown = page(response)
    assert "Traceback" not in shown
    assert_finnish(app, shown, "You do not have access to this page")
