"""The main pages cost the same number of SQL statements whatever the customer has: one order or
fifty, one request or fifty, one session or fifty (no query per row, no lazy load per row)."""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import MarketingChange, PrivacyRequest, Quote, RequestEvent, User, UserSession
from portal.services.sessions import _hash
from tests.conftest import AuthActions
from tests.factories import DisclosureFactory, InvoiceFactory, OrderFactory
from tests.functional.helpers import MAIJA

MORE = 49  # Maija has about one of each in the demo; this makes about fifty


@contextmanager
def counted(app):
    """Count the statements the app's engine runs inside the block."""
    seen: list[str] = []

    def _count(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def _statements(app, client, path: str) -> int:
    with counted(app) as seen:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(seen)


def _grow(app, email: str) -> None:
    """Give the customer about fifty of everything My data and the request pages list."""
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        customer = user.customer
        for n in range(MORE):
            OrderFactory(customer=customer)
            InvoiceFactory(customer=customer, status="paid", paid_on=date(2025, 2, 10))
            DisclosureFactory(customer=customer)
            db.session.add(Quote(customer=customer, number=f"TAR-TEST-{n:04d}", issued_on=date(2025, 1, 1),
                                 valid_until=date(2025, 2, 1), description="Testitarjous",
                                 total_cents=1000, status="expired"))
            db.session.add(UserSession(key_hash=_hash(secrets.token_urlsafe(16)), user_id=user.id))
            db.session.add(MarketingChange(customer_id=customer.id, channel="direct_marketing",
                                           prohibited=n % 2 == 0, changed_by="customer"))
            request = PrivacyRequest(customer=customer, kind="restriction", status="cancelled",
                                     due_on=date(2026, 1, 1) + timedelta(days=n), details={"scope": "all"})
            db.session.add(request)
            db.session.flush()
            request.reference = f"PR-2026-{request.id:06d}"
            db.session.add(RequestEvent(request_id=request.id, status="cancelled", actor_kind="customer"))
        db.session.commit()
        db.session.remove()


CUSTOMER_PAGES = ("/account", "/account/requests", "/account/marketing", "/account/export", "/", "/privacy")


def test_customer_pages_cost_the_same_with_one_or_fifty_of_everything(app, client, demo):
    assert AuthActions(client).login(MAIJA, DEMO_PASSWORD).status_code == 302
    for path in CUSTOMER_PAGES:  # warm caches (settings row, catalogues) before counting
        client.get(path)
    before = {path: _statements(app, client, path) for path in CUSTOMER_PAGES}
    _grow(app, MAIJA)
    after = {path: _statements(app, client, path) for path in CUSTOMER_PAGES}
    assert after == before
    shown = client.get("/account").get_data(as_text=True)
    assert shown.count("T-TEST-") >= MORE and shown.count("L-TEST-") >= MORE  # the rows are there
    assert client.get("/account/requests").get_data(as_text=True).count("PR-2026-") >= MORE
    # What each page costs today: the account, its roles, register entry and session in one
    # statement, the settings with the logo's facts in another, then the page's own data.
    assert before == {"/account": 11, "/account/requests": 3, "/account/marketing": 4,
                      "/account/export": 2, "/": 2, "/privacy": 2}, before


def test_assets_load_no_user_and_keep_their_security_headers(app, client, demo):
    """Static files and the company's look skip the hooks pages need (no SQL for a logged-in user)."""
    assert AuthActions(client).login(MAIJA, DEMO_PASSWORD).status_code == 302
    client.get("/static/portal.css")
    assert _statements(app, client, "/static/portal.css") == 0
    response = client.get("/static/portal.css")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers
    assert _statements(app, client, "/account") > 0  # a page still loads the user


@pytest.mark.parametrize("path_of", [
    lambda ref, customer: "/staff/",
    lambda ref, customer: f"/staff/requests/{ref}",
], ids=["queue", "review"])
def test_staff_pages_cost_the_same_with_one_or_fifty_of_everything(app, reviewer_client, path_of):
    with app.app_context():
        maija = db.session.execute(select(User).where(User.email == MAIJA)).scalar_one()
        open_request = db.session.execute(
            select(PrivacyRequest).where(PrivacyRequest.customer_id == maija.customer_id,
                                         PrivacyRequest.status.in_(("pending", "in_review")))
            .order_by(PrivacyRequest.id)).scalars().first()
        reference, customer_id = open_request.reference, maija.customer_id
        db.session.remove()
    path = path_of(reference, customer_id)
    reviewer_client.get(path)
    before = _statements(app, reviewer_client, path)
    _grow(app, MAIJA)
    assert _statements(app, reviewer_client, path) == before
    if "/requests/" in path:  # the review page shows the customer's data with the request
        assert reviewer_client.get(path).get_data(as_text=True).count("T-TEST-") >= MORE
