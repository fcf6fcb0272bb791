"""A logged-in user refused a page gets our 403 page, and the refusal is audited."""

import json
import logging

import pytest
from sqlalchemy import select

from portal.demo import STAFF_EMAIL
from portal.extensions import db
from portal.models import AuditEvent, User
from tests.conftest import log_in_staff
from tests.functional.helpers import MAIJA, assert_finnish, audit_actions, page, switch_language

REFUSED = "You do not have access to this page"


@pytest.fixture
def staff_client(app, client, auth, demo):
    """The demo staff member, logged in with password and authenticator code."""
    return log_in_staff(client, demo, STAFF_EMAIL)


def _denials(app) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "access_denied")).scalars().all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def _id_of(app, email: str) -> int:
    with app.app_context():
        user_id = db.session.execute(select(User.id).where(User.email == email)).scalar_one()
        db.session.remove()
    return user_id


def test_staff_opening_my_data_is_refused_and_audited(app, staff_client):
    response = staff_client.get("/account/requests")
    assert response.status_code == 403
    assert_finnish(app, page(response), REFUSED)
    [event] = _denials(app)
    assert event.actor_kind == "staff"
    assert event.actor_id == _id_of(app, STAFF_EMAIL)
    assert json.loads(event.details) == {"endpoint": "account.requests", "path": "/account/requests"}


def test_refusal_in_english(staff_client):
    switch_language(staff_client, "en")
    shown = page(staff_client.get("/account/requests"))
    assert REFUSED in shown
    assert "Traceback" not in shown


def test_audit_entry_has_no_query_string(app, staff_client):
    staff_client.get(f"/account/requests?email={MAIJA}&q=salainen")
    [event] = _denials(app)
    assert MAIJA not in event.details
    assert "salainen" not in event.details
    assert "?" not in event.details


def test_each_refusal_is_a_chained_entry(app, staff_client):
    staff_client.get("/account/requests")
    staff_client.get("/account/requests")
    assert len(_denials(app)) == 2
    assert audit_actions(app)[-2:] == ["access_denied", "access_denied"]


def test_anonymous_visitor_is_sent_to_log_in_without_an_entry(app, client, demo):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert _denials(app) == []


def test_audit_failure_still_gives_the_403_page(app, staff_client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr("portal.errors.record_audit", broken)
    with caplog.at_level(logging.WARNING):
        response = staff_client.get("/account/requests")
    assert response.status_code == 403
    assert_finnish(app, page(response), REFUSED)
    assert any("access_denied" in r.getMessage() for r in caplog.records)
    assert staff_client.get("/privacy").status_code == 200
